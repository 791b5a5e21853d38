"""Portfolio REST API function (handler ``app.lambda_handler``)."""
