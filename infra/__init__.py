"""AWS CDK app for the Dependable Call Exchange: everything derived from ROUTES, AREAS and TABLES."""
