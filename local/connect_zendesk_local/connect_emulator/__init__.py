"""A small Amazon Connect API emulator on loopback (moto does not implement Connect's contact APIs).

It speaks Connect's REST-JSON as botocore does: `GET /contacts/{InstanceId}/{ContactId}`
(DescribeContact) answers `{"Contact": {...}}` with epoch-second timestamps, errors carry
`x-amzn-ErrorType` and `{"Message": ...}` with the documented statuses (ResourceNotFoundException
404, ThrottlingException 429, InvalidParameterException 400). Functions reach it through botocore's
per-service endpoint variable AWS_ENDPOINT_URL_CONNECT. Tests and the demo seed contacts' states
(`put_contact`, or `POST /__emulator/contacts`); `/__emulator/requests` logs what was asked.

New operations are one entry in ROUTES (method, path pattern, handler): DescribeUser, DescribeQueue,
StartTaskContact or StopContact go there the same way.
"""

from connect_zendesk_local.connect_emulator import recording, users  # register their operations
from connect_zendesk_local.connect_emulator.server import ConnectEmulator, ConnectFaults

__all__ = ["ConnectEmulator", "ConnectFaults", "recording", "users"]
