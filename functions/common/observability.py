"""One logger and tracer for every function (service name, level and sampling come from the environment)."""

from aws_lambda_powertools import Logger, Tracer

logger = Logger()
tracer = Tracer()
