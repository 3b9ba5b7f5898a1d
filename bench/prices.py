"""The price list the bench's cost table uses: every price, its region, the day it was looked up and where.

One place, so that a price that changes is changed once and the table says which list it priced with. Prices are
in USD per single unit (a request, a GB-second, a request unit); the table shows them per million where AWS does.
Each is the first tier of its service (the bench prices a million decisions, far inside every first tier) and no
free tier is subtracted.

Where no eu-west-2 figure could be found, the us-east-1 one is used and `region` says so: the stack deploys to
eu-west-2 (samconfig.toml), whose prices may differ. AWS's pricing pages render their tables client-side; the
figures below come from the sources named, read on LOOKED_UP."""

from __future__ import annotations

from dataclasses import dataclass

REGION = "eu-west-2"
"""Where the stack deploys (samconfig.toml)."""
LOOKED_UP = "2026-12-02"


@dataclass(frozen=True)
class Price:
    usd: float
    """Per single unit."""
    unit: str
    region: str
    """The region the figure is for: REGION, or another one when none for REGION was found."""
    source: str

    @property
    def for_deployed_region(self) -> bool:
        return self.region == REGION


@dataclass(frozen=True)
class PriceList:
    region: str
    looked_up: str
    api_rest_request: Price
    express_request: Price
    express_gb_second: Price
    lambda_arm_request: Price
    lambda_arm_gb_second: Price
    dynamodb_write_unit: Price
    dynamodb_read_unit: Price
    logs_vended_gb: Price
    logs_standard_gb: Price
    logs_stored_gb_month: Price

    def prices(self) -> list[Price]:
        return [
            self.api_rest_request,
            self.express_request,
            self.express_gb_second,
            self.lambda_arm_request,
            self.lambda_arm_gb_second,
            self.dynamodb_write_unit,
            self.dynamodb_read_unit,
            self.logs_vended_gb,
            self.logs_standard_gb,
            self.logs_stored_gb_month,
        ]


PRICES = PriceList(
    region=REGION,
    looked_up=LOOKED_UP,
    # REST API calls, first 333 million a month. AWS's whitepaper "Best Practices for Designing Amazon API Gateway
    # Private APIs and Private Integration", Cost optimization, Table 4; aws.eu's API Gateway pricing example
    # states the same call price for US East.
    api_rest_request=Price(
        3.50 / 1_000_000,
        "request",
        "us-east-1",
        "https://docs.aws.amazon.com/whitepapers/latest/best-practices-api-gateway-private-apis-integration/"
        "cost-optimization.html",
    ),
    # Express Workflows: $1.00 per million requests; duration $0.06000 per GB-hour for the first 1,000 GB-hours
    # (the page's Express pricing example), i.e. 0.06 / 3600 per GB-second.
    express_request=Price(
        1.00 / 1_000_000, "request", "us-east-1", "https://aws.amazon.com/step-functions/pricing/ (Express example)"
    ),
    express_gb_second=Price(
        0.06 / 3600, "GB-second", "us-east-1", "https://aws.amazon.com/step-functions/pricing/ (Express example)"
    ),
    # Lambda on Arm in eu-west-2, from the AWS Price List offer file for AWSLambda in eu-west-2 (published
    # 2026-10-01), lines EUW2-Request-ARM and EUW2-Lambda-GB-Second-ARM (first 7.5 billion GB-seconds), as
    # quoted by a public cost study that read that file; the file itself was not fetched from here.
    lambda_arm_request=Price(
        0.20 / 1_000_000,
        "request",
        REGION,
        "https://pricing.us-east-1.amazonaws.com/offers/v1.0/aws/AWSLambda/current/eu-west-2/index.json",
    ),
    lambda_arm_gb_second=Price(
        0.0000133334,
        "GB-second",
        REGION,
        "https://pricing.us-east-1.amazonaws.com/offers/v1.0/aws/AWSLambda/current/eu-west-2/index.json",
    ),
    # DynamoDB on-demand, Standard table class, after the on-demand price cut of November 2024. AWS's page
    # (https://aws.amazon.com/dynamodb/pricing/on-demand/) renders its figures client-side; these are the US East
    # figures as airbyte.com's DynamoDB pricing guide (July 2025) quotes them.
    dynamodb_write_unit=Price(
        0.625 / 1_000_000,
        "write request unit",
        "us-east-1",
        "https://aws.amazon.com/dynamodb/pricing/on-demand/ (via airbyte.com/data-engineering-resources/"
        "dynamodb-pricing)",
    ),
    dynamodb_read_unit=Price(
        0.125 / 1_000_000,
        "read request unit",
        "us-east-1",
        "https://aws.amazon.com/dynamodb/pricing/on-demand/ (via airbyte.com/data-engineering-resources/"
        "dynamodb-pricing)",
    ),
    # CloudWatch Logs, US East, first tiers: Step Functions' logs are vended logs ("you will be billed at the vended
    # logs rate", Step Functions' "Logging in CloudWatch Logs"), $0.50 per GB for the first 10 TB; a function's log
    # is standard ingestion, $0.50 per GB; archived storage $0.03 per GB-month. AWS's page renders its table
    # client-side; the figures as hykell.com's and c3x.dev's CloudWatch pricing guides quote them.
    logs_vended_gb=Price(0.50, "GB", "us-east-1", "https://aws.amazon.com/cloudwatch/pricing/"),
    logs_standard_gb=Price(0.50, "GB", "us-east-1", "https://aws.amazon.com/cloudwatch/pricing/"),
    logs_stored_gb_month=Price(0.03, "GB-month", "us-east-1", "https://aws.amazon.com/cloudwatch/pricing/"),
)
