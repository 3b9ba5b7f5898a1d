"""AWS CloudWatch metric catalogue, transcribed from AWS documentation.

``AWS_METRICS`` maps namespace -> metric name -> the dimension-name sets that AWS documents the metric
is published with (one frozenset of dimension names per set; ``frozenset()`` only where AWS says the
metric is published with no dimension, for example "account level" or "Dimensions: None").
``SOURCES`` maps namespace -> the documentation URLs each block was taken from.

How the sets were read off the pages (the pages list dimension *names*, not always combinations):

* AWS/ApiGateway: the dimension table lists the three REST API combinations verbatim.
* AWS/States: one dimension table per metric group; "Account level metrics" notes ("Without a state
  machine ARN, the following metrics report at the account level") are recorded as ``frozenset()``.
* AWS/Lambda: the Lambda guide documents dimensions for the namespace as a whole (FunctionName,
  Resource, ExecutedVersion, "Across All Functions (none)"), not per metric. ExecutedVersion is
  recorded with FunctionName and Resource, as AWS's own CloudWatch console metadata (shipped in
  aws-cdk-lib's generated ``LambdaMetrics``) publishes it; the Lambda guide never names a
  {FunctionName, ExecutedVersion} pair.
* AWS/DynamoDB: "Dimensions: TableName, GlobalSecondaryIndexName" is read as {TableName} (table) and
  {TableName, GlobalSecondaryIndexName} (index), as the page explains for those metrics; other
  "Dimensions:" lines are one set. Metrics with no "Dimensions:" line are account level.
  A set that only the "Recommended alarms" page names is marked in a comment.
* AWS/SNS: "Valid Dimensions: Application, PhoneNumber, Platform, and TopicName" is read together
  with the dimension table, whose rows are Application, "Application,Platform", PhoneNumber,
  Platform and TopicName.
* AWS/Events: "Metrics that specify only the RuleName dimension refer to the default event bus.
  Metrics that specify both the EventBusName and RuleName dimensions refer to a custom event bus."
  "None" in the Dimensions column is recorded as ``frozenset()``.
"""

from __future__ import annotations

__all__ = ["AWS_METRICS", "SOURCES"]

_NONE: frozenset[str] = frozenset()

# --- AWS/ApiGateway (REST APIs) ---
_APIGW_SETS: tuple[frozenset[str], ...] = (
    frozenset({"ApiName"}),
    frozenset({"ApiName", "Stage"}),
    frozenset({"ApiName", "Method", "Resource", "Stage"}),
)

# --- AWS/States ---
_SFN_EXECUTION_SETS: tuple[frozenset[str], ...] = (
    frozenset({"StateMachineArn"}),
    frozenset({"StateMachineArn", "Version"}),
    frozenset({"StateMachineArn", "Alias"}),
    _NONE,
)
_SFN_ACTIVITY_SETS: tuple[frozenset[str], ...] = (frozenset({"ActivityArn"}), _NONE)
_SFN_LAMBDA_SETS: tuple[frozenset[str], ...] = (frozenset({"LambdaFunctionArn"}),)
_SFN_SERVICE_INTEGRATION_SETS: tuple[frozenset[str], ...] = (frozenset({"ServiceIntegrationResourceArn"}),)
# Service metrics (dimensions ServiceMetric, StateMachineArn) and API usage metrics (dimension APIName)
# share the same four metric names; the page lists each dimension as its own row.
_SFN_CAPACITY_SETS: tuple[frozenset[str], ...] = (
    frozenset({"ServiceMetric"}),
    frozenset({"StateMachineArn"}),
    frozenset({"APIName"}),
)

# --- AWS/Lambda ---
_LAMBDA_FUNCTION_SETS: tuple[frozenset[str], ...] = (
    frozenset({"FunctionName"}),
    frozenset({"FunctionName", "Resource"}),
    frozenset({"FunctionName", "Resource", "ExecutedVersion"}),
    _NONE,
)

# --- AWS/DynamoDB ---
_DDB_TABLE: frozenset[str] = frozenset({"TableName"})
_DDB_TABLE_GSI: frozenset[str] = frozenset({"TableName", "GlobalSecondaryIndexName"})
_DDB_TABLE_OPERATION: frozenset[str] = frozenset({"TableName", "Operation"})
_DDB_DELEGATED: frozenset[str] = frozenset({"TableName", "DelegatedOperation"})
_DDB_REPLICA: frozenset[str] = frozenset({"TableName", "ReceivingRegion"})
_DDB_STREAM: frozenset[str] = frozenset({"Operation", "StreamLabel", "TableName"})

# --- AWS/SNS ---
_SNS_SETS: tuple[frozenset[str], ...] = (
    frozenset({"TopicName"}),
    frozenset({"Application"}),
    frozenset({"Application", "Platform"}),
    frozenset({"Platform"}),
    frozenset({"PhoneNumber"}),
)

# --- AWS/Events ---
_EVENTS_RULE_SETS: tuple[frozenset[str], ...] = (
    frozenset({"RuleName"}),
    frozenset({"EventBusName", "RuleName"}),
)
_EVENTS_BUS_NONE_RULE_SETS: tuple[frozenset[str], ...] = (
    _NONE,
    frozenset({"EventBusName"}),
    *_EVENTS_RULE_SETS,
)

AWS_METRICS: dict[str, dict[str, tuple[frozenset[str], ...]]] = {
    # https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-metrics-and-dimensions.html
    # https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/Best_Practice_Recommended_Alarms_AWS_Services.html
    "AWS/ApiGateway": {
        "4XXError": _APIGW_SETS,
        "5XXError": _APIGW_SETS,
        "CacheHitCount": _APIGW_SETS,
        "CacheMissCount": _APIGW_SETS,
        "Count": _APIGW_SETS,
        "IntegrationLatency": _APIGW_SETS,
        "Latency": _APIGW_SETS,
    },
    # https://docs.aws.amazon.com/step-functions/latest/dg/procedure-cw-metrics.html
    "AWS/States": {
        # Execution metrics ("All state machines emit metrics"); StateMachineArn, Version, Alias; account level.
        "ExecutionsAborted": _SFN_EXECUTION_SETS,
        "ExecutionsFailed": _SFN_EXECUTION_SETS,
        "ExecutionsStarted": _SFN_EXECUTION_SETS,
        "ExecutionsSucceeded": _SFN_EXECUTION_SETS,
        "ExecutionsTimedOut": _SFN_EXECUTION_SETS,
        "ExecutionThrottled": _SFN_EXECUTION_SETS,
        "ExecutionTime": _SFN_EXECUTION_SETS,
        # Dimensionless account-level execution and Map Run metrics.
        "OpenExecutionCount": (_NONE,),
        "OpenExecutionLimit": (_NONE,),
        "ApproximateOpenMapRunCount": (_NONE,),
        "OpenMapRunLimit": (_NONE,),
        "ApproximateMapRunBacklogSize": (_NONE,),
        # Express Workflows: only the two billed metrics carry the account-level note.
        "ExpressExecutionBilledDuration": (frozenset({"StateMachineArn"}), _NONE),
        "ExpressExecutionBilledMemory": (frozenset({"StateMachineArn"}), _NONE),
        "ExpressExecutionMemory": (frozenset({"StateMachineArn"}),),
        # Redrive metrics for Standard Workflows.
        "ExecutionsRedriven": (frozenset({"StateMachineArn"}),),
        "RedrivenExecutionsAborted": (frozenset({"StateMachineArn"}),),
        "RedrivenExecutionsFailed": (frozenset({"StateMachineArn"}),),
        "RedrivenExecutionsSucceeded": (frozenset({"StateMachineArn"}),),
        "RedrivenExecutionsTimedOut": (frozenset({"StateMachineArn"}),),
        # Version and alias resource counts.
        "AliasCount": (frozenset({"ResourceArn"}),),
        "VersionCount": (frozenset({"ResourceArn"}),),
        # Activity metrics.
        "ActivitiesFailed": _SFN_ACTIVITY_SETS,
        "ActivitiesHeartbeatTimedOut": _SFN_ACTIVITY_SETS,
        "ActivitiesScheduled": _SFN_ACTIVITY_SETS,
        "ActivitiesStarted": _SFN_ACTIVITY_SETS,
        "ActivitiesSucceeded": _SFN_ACTIVITY_SETS,
        "ActivitiesTimedOut": _SFN_ACTIVITY_SETS,
        "ActivityRunTime": _SFN_ACTIVITY_SETS,
        "ActivityScheduleTime": _SFN_ACTIVITY_SETS,
        "ActivityTime": _SFN_ACTIVITY_SETS,
        # Lambda function metrics: only for Task states whose Resource is the function ARN itself;
        # "arn:aws:states:::lambda:invoke" tasks emit the ServiceIntegration* metrics instead.
        "LambdaFunctionRunTime": _SFN_LAMBDA_SETS,
        "LambdaFunctionScheduleTime": _SFN_LAMBDA_SETS,
        "LambdaFunctionTime": _SFN_LAMBDA_SETS,
        "LambdaFunctionsFailed": _SFN_LAMBDA_SETS,
        "LambdaFunctionsScheduled": _SFN_LAMBDA_SETS,
        "LambdaFunctionsStarted": _SFN_LAMBDA_SETS,
        "LambdaFunctionsSucceeded": _SFN_LAMBDA_SETS,
        "LambdaFunctionsTimedOut": _SFN_LAMBDA_SETS,
        # Service integration metrics.
        "ServiceIntegrationRunTime": _SFN_SERVICE_INTEGRATION_SETS,
        "ServiceIntegrationScheduleTime": _SFN_SERVICE_INTEGRATION_SETS,
        "ServiceIntegrationTime": _SFN_SERVICE_INTEGRATION_SETS,
        "ServiceIntegrationsFailed": _SFN_SERVICE_INTEGRATION_SETS,
        "ServiceIntegrationsScheduled": _SFN_SERVICE_INTEGRATION_SETS,
        "ServiceIntegrationsStarted": _SFN_SERVICE_INTEGRATION_SETS,
        "ServiceIntegrationsSucceeded": _SFN_SERVICE_INTEGRATION_SETS,
        "ServiceIntegrationsTimedOut": _SFN_SERVICE_INTEGRATION_SETS,
        # Service metrics and API usage metrics.
        "ConsumedCapacity": _SFN_CAPACITY_SETS,
        "ProvisionedBucketSize": _SFN_CAPACITY_SETS,
        "ProvisionedRefillRate": _SFN_CAPACITY_SETS,
        "ThrottledEvents": _SFN_CAPACITY_SETS,
    },
    # https://docs.aws.amazon.com/lambda/latest/dg/monitoring-metrics-types.html
    # https://docs.aws.amazon.com/lambda/latest/dg/monitoring-metrics-view.html
    # https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/Best_Practice_Recommended_Alarms_AWS_Services.html
    "AWS/Lambda": {
        # Invocation metrics.
        "Invocations": _LAMBDA_FUNCTION_SETS,
        "Errors": _LAMBDA_FUNCTION_SETS,
        "DeadLetterErrors": _LAMBDA_FUNCTION_SETS,
        "DestinationDeliveryFailures": _LAMBDA_FUNCTION_SETS,
        "Throttles": _LAMBDA_FUNCTION_SETS,
        "ProvisionedConcurrencyInvocations": _LAMBDA_FUNCTION_SETS,
        "ProvisionedConcurrencySpilloverInvocations": _LAMBDA_FUNCTION_SETS,
        "RecursiveInvocationsDropped": _LAMBDA_FUNCTION_SETS,
        # Performance metrics.
        "Duration": _LAMBDA_FUNCTION_SETS,
        "PostRuntimeExtensionsDuration": _LAMBDA_FUNCTION_SETS,
        "IteratorAge": _LAMBDA_FUNCTION_SETS,
        "OffsetLag": _LAMBDA_FUNCTION_SETS,
        # Concurrency metrics: "across a function, version, alias, or AWS Region".
        "ConcurrentExecutions": (
            frozenset({"FunctionName"}),
            frozenset({"FunctionName", "Resource"}),
            _NONE,
        ),
        # "For a version or alias" / "For each invocation of an alias or version with provisioned concurrency".
        "ProvisionedConcurrentExecutions": (frozenset({"FunctionName", "Resource"}),),
        "ProvisionedConcurrencyUtilization": (frozenset({"FunctionName", "Resource"}),),
        # "For a Region": account level only (recommended alarm: "Dimensions: None").
        "UnreservedConcurrentExecutions": (_NONE,),
        "ClaimedAccountConcurrency": (_NONE,),
        # Asynchronous invocation metrics.
        "AsyncEventsReceived": _LAMBDA_FUNCTION_SETS,
        "AsyncEventAge": _LAMBDA_FUNCTION_SETS,
        "AsyncEventsDropped": _LAMBDA_FUNCTION_SETS,
    },
    # https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/metrics-dimensions.html
    # https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/Best_Practice_Recommended_Alarms_AWS_Services.html
    "AWS/DynamoDB": {
        # No "Dimensions:" line: account level.
        "AccountMaxReads": (_NONE,),
        "AccountMaxTableLevelReads": (_NONE,),
        "AccountMaxTableLevelWrites": (_NONE,),
        "AccountMaxWrites": (_NONE,),
        "AccountProvisionedReadCapacityUtilization": (_NONE,),
        "AccountProvisionedWriteCapacityUtilization": (_NONE,),
        "MaxProvisionedTableReadCapacityUtilization": (_NONE,),
        "MaxProvisionedTableWriteCapacityUtilization": (_NONE,),
        # "UserErrors represents the aggregate of HTTP 400 errors ... for the current AWS Region and ... account."
        "UserErrors": (_NONE,),
        # Kinesis Data Streams change data capture.
        "AgeOfOldestUnreplicatedRecord": (_DDB_DELEGATED,),
        "ConsumedChangeDataCaptureUnits": (_DDB_DELEGATED,),
        "FailedToReplicateRecordCount": (_DDB_DELEGATED,),
        "ThrottledPutRecordCount": (_DDB_DELEGATED,),
        # "Dimensions: TableName".
        "ConditionalCheckFailedRequests": (_DDB_TABLE,),
        "TimeToLiveDeletedItemCount": (_DDB_TABLE,),
        "TransactionConflict": (_DDB_TABLE,),
        "WriteAccountLimitThrottleEvents": (_DDB_TABLE,),
        # "Dimensions: TableName, GlobalSecondaryIndexName": table alone, or table and index.
        # ConsumedWriteCapacityUnits also lists a Source dimension (Customer | GlobalTable) for global
        # tables; the page gives no combination for it, so none is recorded here.
        "ConsumedReadCapacityUnits": (_DDB_TABLE, _DDB_TABLE_GSI),
        "ConsumedWriteCapacityUnits": (_DDB_TABLE, _DDB_TABLE_GSI),
        "OnDemandMaxReadRequestUnits": (_DDB_TABLE, _DDB_TABLE_GSI),
        "OnDemandMaxWriteRequestUnits": (_DDB_TABLE, _DDB_TABLE_GSI),
        "ProvisionedReadCapacityUnits": (_DDB_TABLE, _DDB_TABLE_GSI),
        "ProvisionedWriteCapacityUnits": (_DDB_TABLE, _DDB_TABLE_GSI),
        "ReadAccountLimitThrottleEvents": (_DDB_TABLE, _DDB_TABLE_GSI),
        "ReadKeyRangeThroughputThrottleEvents": (_DDB_TABLE, _DDB_TABLE_GSI),
        "ReadMaxOnDemandThroughputThrottleEvents": (_DDB_TABLE, _DDB_TABLE_GSI),
        "ReadProvisionedThroughputThrottleEvents": (_DDB_TABLE, _DDB_TABLE_GSI),
        "ReadThrottleEvents": (_DDB_TABLE, _DDB_TABLE_GSI),
        "WriteKeyRangeThroughputThrottleEvents": (_DDB_TABLE, _DDB_TABLE_GSI),
        "WriteMaxOnDemandThroughputThrottleEvents": (_DDB_TABLE, _DDB_TABLE_GSI),
        "WriteProvisionedThroughputThrottleEvents": (_DDB_TABLE, _DDB_TABLE_GSI),
        "WriteThrottleEvents": (_DDB_TABLE, _DDB_TABLE_GSI),
        # Index-build metrics: always about one global secondary index.
        "OnlineIndexConsumedWriteCapacity": (_DDB_TABLE_GSI,),
        "OnlineIndexPercentageProgress": (_DDB_TABLE_GSI,),
        "OnlineIndexThrottleEvents": (_DDB_TABLE_GSI,),
        # Global tables.
        "PendingReplicationCount": (_DDB_REPLICA,),
        "ReplicationLatency": (_DDB_REPLICA,),
        # DynamoDB Streams GetRecords.
        "ReturnedBytes": (_DDB_STREAM,),
        "ReturnedRecordsCount": (_DDB_STREAM,),
        # "Dimensions: TableName, Operation".
        "FaultInjectionServiceInducedErrors": (_DDB_TABLE_OPERATION,),
        "ReturnedItemCount": (_DDB_TABLE_OPERATION,),
        "ThrottledRequests": (_DDB_TABLE_OPERATION,),
        # {TableName} for SystemErrors is named only by the Recommended alarms page ("Dimensions: TableName").
        "SystemErrors": (_DDB_TABLE_OPERATION, _DDB_TABLE),
        # "Dimensions: TableName, Operation, StreamLabel": StreamLabel only for Streams GetRecords.
        "SuccessfulRequestLatency": (_DDB_TABLE_OPERATION, frozenset({"TableName", "Operation", "StreamLabel"})),
    },
    # https://docs.aws.amazon.com/sns/latest/dg/sns-monitoring-using-cloudwatch.html
    # https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/Best_Practice_Recommended_Alarms_AWS_Services.html
    "AWS/SNS": {
        "NumberOfMessagesPublished": _SNS_SETS,
        "NumberOfNotificationsDelivered": _SNS_SETS,
        "NumberOfNotificationsFailed": _SNS_SETS,
        "NumberOfNotificationsFilteredOut": _SNS_SETS,
        "NumberOfNotificationsFilteredOut-MessageAttributes": _SNS_SETS,
        "NumberOfNotificationsFilteredOut-MessageBody": _SNS_SETS,
        "NumberOfNotificationsFilteredOut-InvalidAttributes": _SNS_SETS,
        "NumberOfNotificationsFilteredOut-NoMessageAttributes": _SNS_SETS,
        "NumberOfNotificationsFilteredOut-InvalidMessageBody": _SNS_SETS,
        "NumberOfNotificationsRedrivenToDlq": _SNS_SETS,
        "NumberOfNotificationsFailedToRedriveToDlq": _SNS_SETS,
        "PublishSize": _SNS_SETS,
        # Metrics page: "Valid Dimensions: PhoneNumber"; {TopicName} is named only by the Recommended alarms page.
        "SMSMonthToDateSpentUSD": (frozenset({"PhoneNumber"}), frozenset({"TopicName"})),
        "SMSSuccessRate": (frozenset({"PhoneNumber"}),),
    },
    # https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-monitoring.html
    "AWS/Events": {
        "DeadLetterInvocations": _EVENTS_RULE_SETS,
        "FailedInvocations": _EVENTS_RULE_SETS,
        "InvocationsFailedToBeSentToDlq": _EVENTS_RULE_SETS,
        "InvocationsSentToDlq": _EVENTS_RULE_SETS,
        # "None, RuleName".
        "Invocations": (_NONE, *_EVENTS_RULE_SETS),
        # "EventBusName, None, RuleName".
        "InvocationAttempts": _EVENTS_BUS_NONE_RULE_SETS,
        "IngestiontoInvocationCompleteLatency": _EVENTS_BUS_NONE_RULE_SETS,
        "IngestionToInvocationSuccessLatency": _EVENTS_BUS_NONE_RULE_SETS,
        "IngestiontoInvocationStartLatency": _EVENTS_BUS_NONE_RULE_SETS,
        "RetryInvocationAttempts": _EVENTS_BUS_NONE_RULE_SETS,
        "SuccessfulInvocationAttempts": _EVENTS_BUS_NONE_RULE_SETS,
        "ThrottledRules": _EVENTS_BUS_NONE_RULE_SETS,
        "TriggeredRules": _EVENTS_BUS_NONE_RULE_SETS,
        # "EventBusName, EventSourceName, RuleName".
        "MatchedEvents": (frozenset({"EventBusName"}), frozenset({"EventSourceName"}), *_EVENTS_RULE_SETS),
        "Events": (frozenset({"EventSourceName"}),),
        "InvocationsCreated": (_NONE,),
        "EventBusEncryptionStarted": (frozenset({"EventBusName"}),),
        "EventBusEncryptionCompleted": (frozenset({"EventBusName"}),),
        "EventBusEncryptionFailed": (frozenset({"EventBusName"}),),
        # PutEvents / PutPartnerEvents request metrics: "None".
        "PutEventsApproximateCallCount": (_NONE,),
        "PutEventsApproximateFailedCount": (_NONE,),
        "PutEventsApproximateSuccessCount": (_NONE,),
        "PutEventsApproximateThrottledCount": (_NONE,),
        "PutEventsEntriesCount": (_NONE,),
        "PutEventsFailedEntriesCount": (_NONE,),
        "PutEventsLatency": (_NONE,),
        "PutEventsRequestSize": (_NONE,),
        "PutPartnerEventsApproximateCallCount": (_NONE,),
        "PutPartnerEventsApproximateFailedCount": (_NONE,),
        "PutPartnerEventsApproximateThrottledCount": (_NONE,),
        "PutPartnerEventsApproximateSuccessCount": (_NONE,),
        "PutPartnerEventsEntriesCount": (_NONE,),
        "PutPartnerEventsFailedEntriesCount": (_NONE,),
        "PutPartnerEventsLatency": (_NONE,),
    },
}

SOURCES: dict[str, tuple[str, ...]] = {
    "AWS/ApiGateway": (
        "https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-metrics-and-dimensions.html",
        "https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/Best_Practice_Recommended_Alarms_AWS_Services.html",
    ),
    "AWS/States": ("https://docs.aws.amazon.com/step-functions/latest/dg/procedure-cw-metrics.html",),
    "AWS/Lambda": (
        "https://docs.aws.amazon.com/lambda/latest/dg/monitoring-metrics-types.html",
        "https://docs.aws.amazon.com/lambda/latest/dg/monitoring-metrics-view.html",
        "https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/Best_Practice_Recommended_Alarms_AWS_Services.html",
    ),
    "AWS/DynamoDB": (
        "https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/metrics-dimensions.html",
        "https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/Best_Practice_Recommended_Alarms_AWS_Services.html",
    ),
    "AWS/SNS": (
        "https://docs.aws.amazon.com/sns/latest/dg/sns-monitoring-using-cloudwatch.html",
        "https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/Best_Practice_Recommended_Alarms_AWS_Services.html",
    ),
    "AWS/Events": ("https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-monitoring.html",),
}
