"""AWS adapters of the ports: DynamoDB state, SQS plans, S3 archive, Secrets Manager.

Every boto3 client is created on first use (never at import time), so importing a handler
under moto or in a unit test touches no AWS endpoint and no credentials.
"""
