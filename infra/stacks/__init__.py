"""CDK stacks: composition only, the resources live in `infra.constructs`."""
