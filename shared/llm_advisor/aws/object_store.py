"""S3 adapter of ``ObjectStorePort`` (the premarket context and report archive)."""

from __future__ import annotations

from llm_advisor.aws.clients import LazyClient


class S3ObjectStore:
    """Objects under an optional prefix of one bucket; a missing key reads as None."""

    def __init__(
        self,
        bucket: str,
        prefix: str = "",
        region: str | None = None,
        *,
        endpoint_url: str | None = None,
    ) -> None:
        if not bucket:
            raise ValueError("bucket='' : the archive bucket name is required")
        self.bucket = bucket
        self.prefix = prefix.strip("/") + "/" if prefix.strip("/") else ""
        self._client = LazyClient("s3", region, endpoint_url)

    def put(self, key: str, body: bytes, content_type: str = "application/json") -> None:
        self._client.get().put_object(
            Bucket=self.bucket, Key=self.prefix + key, Body=body, ContentType=content_type
        )

    def get(self, key: str) -> bytes | None:
        client = self._client.get()
        try:
            resp = client.get_object(Bucket=self.bucket, Key=self.prefix + key)
        except client.exceptions.NoSuchKey:
            return None
        body: bytes = resp["Body"].read()
        return body
