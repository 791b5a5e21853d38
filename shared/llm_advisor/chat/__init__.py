"""Ask the portfolio: questions about the trading record, answered from it (issue 14).

``parse`` reads a question, ``tools`` and ``journal`` query the record (rows + citations),
``answer`` words it without a model, ``llm`` with one, ``numbers`` checks every figure,
``service.ChatService`` ties them together, ``wiring`` builds it for the API and the CLI,
``throttle`` limits how often one client may ask.
"""
