"""CDK synth tests. Set before any module of this package imports aws_cdk (this runs first): jsii would
otherwise print a multi-line Node end-of-life banner in every test process (xdist workers included)."""

import os

os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
