"""Messages of ``grpc.health.v1``, the standard gRPC health checking service
(proto/grpc/health/v1/health.proto)::

    from steward_client import health_v1

    health_v1.HealthCheckResponse.SERVING   # 1
"""

from ._pool import export_package as _export_package

__all__ = _export_package("grpc.health.v1", globals())
