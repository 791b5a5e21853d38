"""Retrieval over the trading record (plan phase 8, export 7.2).

``documents`` turns a day's records into text documents, ``export`` writes them to S3 in a
Bedrock Knowledge Base layout, ``store`` keeps them with their embeddings in
``rag_documents``, ``retrieval.search`` ranks them for the chat service.
"""
