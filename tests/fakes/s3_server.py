"""A local S3-compatible server for tests: moto in server mode (a real HTTP endpoint that
boto3 talks to with its real calls; nothing is patched inside the process).

Fixtures: ``s3_server`` (one per test session: its endpoint URL) and ``s3`` (the app storing
its files in a fresh bucket of that server for one test; yields a boto3 client and the
bucket's name).
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass

import pytest

ACCESS_KEY = "souk-test-access"
SECRET_KEY = "souk-test-secret"
REGION = "us-east-1"


@dataclass
class S3Server:
    url: str
    server: object

    def client(self):
        import boto3

        return boto3.session.Session().client(
            "s3",
            endpoint_url=self.url,
            region_name=REGION,
            aws_access_key_id=ACCESS_KEY,
            aws_secret_access_key=SECRET_KEY,
        )

    def settings(self, bucket: str) -> dict:
        """The app's S3_* settings for ``bucket`` (as environment variables or config)."""
        return {
            "S3_BUCKET": bucket,
            "S3_ENDPOINT_URL": self.url,
            "S3_REGION": REGION,
            "S3_ACCESS_KEY_ID": ACCESS_KEY,
            "S3_SECRET_ACCESS_KEY": SECRET_KEY,
            "S3_PUBLIC_BASE_URL": f"{self.url}/{bucket}",
        }

    def new_bucket(self) -> str:
        bucket = f"souk-test-{uuid.uuid4().hex[:16]}"
        self.client().create_bucket(Bucket=bucket)
        return bucket


def start_server() -> S3Server:
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # moto logs every request
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    return S3Server(url=f"http://{host}:{port}", server=server)


@pytest.fixture(scope="session")
def s3_server():
    server = start_server()
    yield server
    server.server.stop()


@pytest.fixture
def s3(app, s3_server, monkeypatch):
    """The app with its files in a bucket of its own on the local S3 server."""
    bucket = s3_server.new_bucket()
    for key, value in s3_server.settings(bucket).items():
        monkeypatch.setitem(app.config, key, value)
    client = s3_server.client()
    yield client, bucket
    listed = client.list_objects_v2(Bucket=bucket).get("Contents", [])
    for item in listed:
        client.delete_object(Bucket=bucket, Key=item["Key"])
    client.delete_bucket(Bucket=bucket)
