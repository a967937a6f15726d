"""The petition service's APIs: gRPC for staff and services, HTTP for residents."""
