"""llm-advisor: the STDEV intraday engine and its serverless drivers.

The package is the domain library shared by the Lambda functions, the CLI and the tests.
It is shipped to Lambda as a layer and imported as ``llm_advisor`` everywhere.
"""

__version__ = "0.1.0"
