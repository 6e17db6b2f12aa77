"""Part 3's certificate operations (PRIVATE): BACnet/SC signing requests and certificates of
network devices, their ZIP import and the network-devices batch.

Run inside tools/metasys_contract.py (it shares that module's names: paths, schemas, ok, q, STD,
NF, MEDIA, HOST, error_response ...); not a module of its own.
"""

# ruff: noqa: E501, F821
# mypy: ignore-errors

import base64

PKCS10 = "application/pkcs10"
DEVICE_EXAMPLE = "d9bf66bd-22f8-425b-82a4-44ba153d79c7"
CSR_EXAMPLE = """-----BEGIN CERTIFICATE REQUEST-----
MIIBlTCCARwCAQIwgZwxCzAJBgNVBAYTAlVTMQswCQYDVQQIDAJXSTESMBAGA1UE
BwwJTWlsd2F1a2VlMRkwFwYDVQQKDBBKb2huc29uIENvbnRyb2xzMREwDwYDVQQL
DAhDb250cm9sczEYMBYGA1UEAwwPTUFDMDI0MkFDMTUxNzA2MSQwIgYJKoZIhvcN
AQkBFhVqYWNvYi5wLmhpY2tzQGpjaS5jb20wdjAQBgcqhkjOPQIBBgUrgQQAIgNi
AASv3V9GGmXQqNmTCKIZPy4unQBGPDYG6RzqybRrJO6ZSVTm31y1XYuvFIE0u+I3
NrtpR0DPDCvfDlecQkEpkgB5roIijDh7/ZEKDwQgvc8pvxWVzCv7OQw4OoCK1bd8
SXOgADAKBggqhkjOPQQDAgNnADBkAjBoC8P9g/2r9yS1MR9H4iv/f3uvbzP8PQd3
4PJdATJjZsHWVml1E42DEK5ejQDl6rICMFLNL5Mwf029d9v+/X2UvrZ12TJDC8nx
2ZrcTdE6zw5cyxVwR9xyJ8YqU35iqvsTmA==
-----END CERTIFICATE REQUEST-----
"""
CERTIFICATE_EXAMPLE = """-----BEGIN CERTIFICATE-----
MIICJjCCAcugAwIBAgIJALlDHY8rFJaRMAoGCCqGSM49BAMCMBoxGDAWBgNVBAMT
D01ldGFzeXMgVGVzdCBDQTAeFw0yMTA0MTkyMjA2MzdaFw0yMjAzMzAxOTQ1MTBa
MH4xHzAdBgkqhkiG9w0BCQEWEHRlc3RAdGVzdEFsbC5jb20xGDAWBgNVBAMTD01B
QzAyNDI3MDM1QUM2RDELMAkGA1UECxMCQkUxDDAKBgNVBAoTA0pDSTEMMAoGA1UE
BxMDTUtFMQswCQYDVQQIEwJXSTELMAkGA1UEBhMCVVMwdjAQBgcqhkjOPQIBBgUr
gQQAIgNiAARei12VLrNFW9ThXWbuP9jjgqumm+qRbYmjRr2Eft09gzcn9fSZyr7g
pmUZVsTeEbzzkAJDDFVobQ4iis5iXD8iAs/h4DkFc5eoXmS5hWGL3n5VPLfE1hCB
D6HZCVGmd/6jeTB3MAkGA1UdEwQCMAAwCwYDVR0PBAQDAgWgMB0GA1UdJQQWMBQG
CCsGAQUFBwMBBggrBgEFBQcDAjAdBgNVHQ4EFgQULuIeIdZBqqIwQvIP4T/RKpWD
GoUwHwYDVR0jBBgwFoAUQTHU+UodcSQ+Yk/8IEaPAjRA+nowCgYIKoZIzj0EAwID
SQAwRgIhAOBqzqlMJtoTvQxH0qx1s6oVY1NvsyXthO9SZlwlYEkeAiEAwyU0/jgU
NaHD0eqyywHZxyQto1vTscCbTJZIuFOVGnk=
-----END CERTIFICATE-----
"""
BACNET_DEVICES = (
    "\n\n**Sandbox choice:** BACnet/SC certificates belong to the engines (SNE, SNC, NAE: "
    "network devices of classification `device`), the BACnet/SC nodes of a site. The site "
    "director, trunks and MS/TP field controllers (not on IP) answer 400 `Network device {id} "
    "does not support BACnet/SC certificates.`; an unknown id is 404; an offline engine is 503. "
    "Changes need a user who may write (403 otherwise) and are not audited (the reference "
    "names no audit for them). Each tenant keeps its own requests and certificates until "
    "deleted or the sandbox is reset."
)
DEVICE_PARAMETER = {
    "name": "networkDeviceId",
    "in": "path",
    "required": True,
    "description": "The identifier of a network device.",
    "example": DEVICE_EXAMPLE,
    "schema": {"type": "string"},
}
IF_MATCH = {
    "name": "If-Match",
    "in": "header",
    "required": True,
    "description": "A previous ETag header value. If the current state of the resource does "
    "not match this value, then the operation will fail. If the current state of the resource "
    "does match this value, then the operation will continue.\n\n**Sandbox choice:** a "
    'mismatch is 412 (`{"Message": ...}`); `*` matches any current request; quotes and `W/` '
    "are ignored; a missing header is 400.",
    "example": "DrIITJxrrFDVYbFrmM41X6xj/v+HlD/QgWuvNeIPCvM=",
    "schema": {"type": "string", "minLength": 1, "pattern": "\\S"},
}
IF_NONE_MATCH = {
    "name": "If-None-Match",
    "in": "header",
    "required": False,
    "description": "A previous ETag header value. If the current state of the resource does "
    "not match this, then the current resource will be returned. If the current state of the "
    "resource does match this value, then the current resource will not be returned and the "
    "response will be a 304 (Not Modified).",
    "example": "DrIITJxrrFDVYbFrmM41X6xj/v+HlD/QgWuvNeIPCvM=",
    "schema": {"type": "string"},
}
ETAG = {
    "ETag": {
        "description": "The signing request's version: the base64 SHA-256 digest of its PEM "
        "text (the form of the reference's examples), unquoted as the reference shows it.",
        "schema": {"type": "string"},
    }
}
PEM_NOTE = (
    "\n\nNote: This endpoint is intended to support application/vnd.metasysapi.v4+json and "
    "application/octet-stream MIME types via the Accept header however neither of these are "
    "currently supported. Only application/pkcs10 is supported even though it shouldn't be."
)
CSR_SHAPE = (
    "\n\n**Sandbox choice:** the engine makes a new P-384 key pair for each request (create "
    "or replace) and keeps it; the request is signed with ECDSA/SHA-256 like the reference's "
    "example, its subject is `C, ST, L, O, OU, CN, emailAddress` from the body, and its common "
    "name is the engine's host name (its name, at most 15 characters) followed by "
    "`.{domainName}` when one is given. A written certificate for that key pair fulfils the "
    "request, which then disappears."
)
PRECONDITION = error_response(
    "The `If-Match` header does not match the signing request's current ETag.",
    "The signing request has changed: If-Match does not match its ETag.",
)
OFFLINE = {"503": {"$ref": "#/components/responses/Offline"}}
CONFLICTING = {"409": {"$ref": "#/components/responses/Conflict"}}

schemas["bacnetSigningRequestParameters"] = {
    "type": "object",
    "description": "The subject of a BACnet/SC certificate signing request. **Sandbox "
    "choice:** `country` must be two letters (the X.509 country code the certificate holds); "
    "an `emailAddress` needs an `@`; other properties are ignored.",
    "required": ["emailAddress", "orgName", "orgUnitName", "city", "stateProvince", "country"],
    "properties": {
        "emailAddress": {"type": "string", "format": "email", "minLength": 1, "maxLength": 63},
        "orgName": {"type": "string", "minLength": 1, "maxLength": 63},
        "orgUnitName": {"type": "string", "minLength": 1, "maxLength": 63},
        "city": {"type": "string", "minLength": 1, "maxLength": 63},
        "stateProvince": {"type": "string", "minLength": 1, "maxLength": 63},
        "country": {"type": "string", "minLength": 2, "maxLength": 2, "pattern": "^[A-Za-z]{2}$"},
        "domainName": {"type": ["string", "null"], "minLength": 1, "maxLength": 47},
    },
}
csr_parameters_example = {
    "city": "Milwaukee",
    "country": "US",
    "emailAddress": "noreply@jci.com",
    "orgName": "Johnson Controls",
    "orgUnitName": "BAS",
    "stateProvince": "WI",
    "domainName": "jci.com",
}
schemas["bacnetCertificate"] = {
    "type": "object",
    "description": "One certificate held by a device. **Sandbox choice:** the reference "
    "collapses this shape; `raw` is the PEM text (JSON encodes its new lines), the other "
    "properties are read from it: `role` is `operational` for the device's own certificate and "
    "`issuer` for an authority's, `serialNumber` is hexadecimal, `thumbprint` the SHA-256 "
    "fingerprint in hexadecimal, times in UTC. Nested (`flatten=false`), `items` holds the "
    "certificates this one issued.",
    "required": [
        "raw",
        "role",
        "subject",
        "issuer",
        "serialNumber",
        "notBefore",
        "notAfter",
        "thumbprint",
    ],
    "additionalProperties": False,
    "properties": {
        "raw": {"type": "string"},
        "role": {"type": "string", "enum": ["operational", "issuer"]},
        "subject": {"type": "string"},
        "issuer": {"type": "string"},
        "serialNumber": {"type": "string", "pattern": "^[0-9A-F]+$"},
        "notBefore": {"type": "string", "format": "date-time"},
        "notAfter": {"type": "string", "format": "date-time"},
        "thumbprint": {"type": "string", "pattern": "^[0-9A-F]{64}$"},
        "items": {"type": "array", "items": {"$ref": "#/components/schemas/bacnetCertificate"}},
    },
}
certificate_example = {
    "raw": CERTIFICATE_EXAMPLE,
    "role": "operational",
    "subject": "C=US,ST=WI,L=MKE,O=JCI,OU=BE,CN=MAC02427035AC6D,1.2.840.113549.1.9.1=test@testAll.com",
    "issuer": "CN=Metasys Test CA",
    "serialNumber": "B9431D8F2B149691",
    "notBefore": "2021-04-19T22:06:37Z",
    "notAfter": "2022-03-30T19:45:10Z",
    "thumbprint": "BA1AFF561701F78ADB4AA198E6C890D1C44EF6939E67EF7581D848432231C26F",
}
schemas["bacnetCertificates"] = {
    "type": "object",
    "description": "A device's certificates: the operational certificate first, then its "
    "issuers (flat), or trees rooted at the top issuers (nested).",
    "required": ["items"],
    "additionalProperties": False,
    "properties": {
        "items": {"type": "array", "items": {"$ref": "#/components/schemas/bacnetCertificate"}}
    },
}
schemas["bacnetCertificateImportResult"] = {
    "type": "array",
    "description": "**Sandbox choice:** the reference collapses these items; the sandbox "
    "answers one per operational certificate in the ZIP (issuer certificates are written with "
    "the certificates they issued): its file, its subject, the engine whose pending signing "
    "request has its public key (`null` when none has), and the status writing it alone "
    "would have answered (204 written; 400, 404 or 503 with `message`).",
    "items": {
        "type": "object",
        "required": ["fileName", "subject", "networkDeviceId", "status"],
        "additionalProperties": False,
        "properties": {
            "fileName": {"type": "string"},
            "subject": {"type": "string"},
            "networkDeviceId": {"type": ["string", "null"]},
            "status": {"type": "integer", "enum": [204, 400, 403, 404, 503]},
            "message": {"type": "string"},
        },
    },
}
BATCH_BODY = {"type": ["object", "string"]}
schemas["networkDevicesBatchRequest"] = {
    "type": "object",
    "description": "A collection of individual requests relative to the networkDevices path. "
    "All requests will use the same HTTP method and should be for the same resource type "
    "relative to the network device.\n\n**Sandbox choice:** the reference lists only the "
    'shared `body` and `requests` (its schema is "inconsistent with other batch paths", '
    "GIV-108568), so each request names its own `method`; requests with different methods or "
    "for different resource types, duplicate ids and more than 1000 requests are 400.",
    "required": ["requests"],
    "properties": {
        "body": {
            **BATCH_BODY,
            "description": "An optional shared body for all requests. This will be ignored for "
            "any individual request which defines its own body. An object for signing requests "
            "(the create/replace body), a PEM string for certificates.",
        },
        "requests": {
            "type": "array",
            "description": "An array of individual requests.",
            "minItems": 1,
            "maxItems": 1000,
            "items": {
                "type": "object",
                "required": ["id", "method", "relativeUrl"],
                "properties": {
                    "id": {"type": "string", "description": "A client supplied identifier."},
                    "method": {"type": "string", "enum": ["GET", "POST", "PUT", "DELETE"]},
                    "relativeUrl": {
                        "type": "string",
                        "description": "`{networkDeviceId}/signingRequests/bacnet` or "
                        "`{networkDeviceId}/certificates/bacnet`.",
                    },
                    "body": BATCH_BODY,
                },
            },
        },
    },
}
schemas["networkDevicesBatchResponse"] = {
    "type": "object",
    "required": ["responses"],
    "additionalProperties": False,
    "description": "**Sandbox choice:** each request answers the status its operation would "
    "answer alone (a signing request's body is its PEM text base64-encoded, as the reference "
    'notes; a certificate read is `{"items": [...]}`; 204s carry no body; errors carry '
    '`{"Message": ...}`), with `If-Match` not required inside a batch. A relative URL that '
    "names neither resource is 404, a method its resource does not take 405.",
    "properties": {
        "responses": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["id", "status"],
                "additionalProperties": False,
                "properties": {
                    "id": {"type": "string"},
                    "status": {"type": "integer"},
                    "body": BATCH_BODY,
                },
            },
        }
    },
}
csr_base64 = base64.b64encode(CSR_EXAMPLE.encode()).decode()


def pem_answer(status_description):
    return {
        "description": status_description,
        "headers": ETAG,
        "content": {
            PKCS10: {
                "schema": {
                    "type": "string",
                    "description": "A certificate signing request in PEM format.",
                },
                "example": CSR_EXAMPLE,
            }
        },
    }


def no_content(text):
    return {"204": {"description": text}}


def csr_body():
    return {
        "required": True,
        "content": {
            "application/json": {
                "schema": {"$ref": "#/components/schemas/bacnetSigningRequestParameters"},
                "example": csr_parameters_example,
            }
        },
    }


def private(operation_id, summary, description, **rest):
    return {
        "tags": ["certificates"],
        "operationId": operation_id,
        "summary": summary,
        "x-visibility": "private",
        "description": description,
        **rest,
    }


paths["/api/v4/networkDevices/{networkDeviceId}/signingRequests/bacnet"] = {
    "get": private(
        "getBacnetSigningRequest",
        "Read a certificate signing request (PRIVATE)",
        "Retrieve the binary CSR data for a single device. A successful (200) response "
        "provides the CSR in a PEM format." + PEM_NOTE + BACNET_DEVICES + " A device without a "
        "pending request is 404.",
        parameters=[DEVICE_PARAMETER, IF_NONE_MATCH],
        responses={
            "200": pem_answer("The signing request."),
            "304": {
                "description": "Not Modified: `If-None-Match` holds the current ETag.",
                "headers": ETAG,
            },
            **STD,
            **NF,
            **OFFLINE,
        },
    ),
    "post": private(
        "createBacnetSigningRequest",
        "Create certificate signing request (PRIVATE)",
        "Create a new certificate signing request (CSR) for the specified device and CSR "
        "parameters. A successful (201) response provides the CSR in a PEM format."
        + PEM_NOTE
        + CSR_SHAPE
        + BACNET_DEVICES
        + " **Sandbox choice:** a device that already has a pending request is 409 (replace "
        "it instead).",
        parameters=[DEVICE_PARAMETER],
        requestBody=csr_body(),
        responses={
            "201": pem_answer("The new signing request."),
            **STD,
            **NF,
            **CONFLICTING,
            **OFFLINE,
        },
    ),
    "put": private(
        "replaceBacnetSigningRequest",
        "Replace certificate signing request (PRIVATE)",
        "Replace the certificate signing request (CSR) for the specified device and CSR "
        "parameters. A successful (200) response provides the CSR in a PEM format."
        + PEM_NOTE
        + CSR_SHAPE
        + BACNET_DEVICES
        + " A device without a pending request is 404.",
        parameters=[DEVICE_PARAMETER, IF_MATCH],
        requestBody=csr_body(),
        responses={
            "200": pem_answer("The replacing signing request."),
            **STD,
            **NF,
            "412": PRECONDITION,
            **OFFLINE,
        },
    ),
    "delete": private(
        "deleteBacnetSigningRequest",
        "Delete certificate signing request (PRIVATE)",
        "Clear any existing certificate signing request (CSR) for the specified device."
        + BACNET_DEVICES
        + " A device without a pending request is 404; the engine forgets the request's key "
        "pair.",
        parameters=[DEVICE_PARAMETER, IF_MATCH],
        responses={
            **no_content("The signing request is deleted."),
            **STD,
            **NF,
            "412": PRECONDITION,
            **OFFLINE,
        },
    ),
}
paths["/api/v4/networkDevices/{networkDeviceId}/certificates/bacnet"] = {
    "get": private(
        "getBacnetCertificates",
        "Read BACnet/SC certificate (PRIVATE)",
        "Retrieve the raw and/or structured certificate data for a single device."
        + BACNET_DEVICES
        + " A device without certificates answers an empty `items`.",
        parameters=[
            DEVICE_PARAMETER,
            q(
                "flatten",
                {"type": "boolean", "default": True},
                "Return the certificates as a flat list or as nested trees. When nested, the "
                "result items will have an items array property that contains the child "
                "certificates.",
                True,
            ),
        ],
        responses={
            "200": ok(
                {"$ref": "#/components/schemas/bacnetCertificates"},
                {"items": [certificate_example]},
                "Certificate details as a list. Note that JSON must encode new lines (\\n) for "
                "the raw property.",
            ),
            **STD,
            **NF,
            **OFFLINE,
        },
    ),
    "put": private(
        "writeBacnetCertificate",
        "Write BACnet/SC certificate (PRIVATE)",
        "Write the raw certificate data for a single device. The data may be a single "
        "operational certificate or the entire chain."
        + BACNET_DEVICES
        + "\n\n**Sandbox choice:** the body is PEM (one or more certificates), DER or PKCS #7 "
        "(`application/octet-stream`, or `application/x-pem-file`), at most 1 MiB and 100 "
        "certificates; anything else is 400, as is a certificate that breaks RFC 5280 (a "
        "serial number that is not positive, say). It "
        "must hold exactly one operational (non-CA) certificate whose public key is that of the "
        "engine's pending signing request (or of its current certificate, to rewrite it), valid "
        "now on the sandbox clock, and each issuer it names that the data or the device holds "
        "must have signed it; otherwise 400, as a device refuses a certificate for a key it does "
        "not hold. The certificate then replaces the engine's operational certificate, its "
        "issuers are kept with the ones the engine held, and the request is fulfilled (gone).",
        parameters=[DEVICE_PARAMETER],
        requestBody={
            "required": True,
            "content": {
                "application/octet-stream": {
                    "schema": {"type": "string", "format": "binary", "title": "rawCertificate"},
                    "example": CERTIFICATE_EXAMPLE,
                }
            },
        },
        responses={
            **no_content("The certificate is written."),
            **STD,
            **NF,
            **OFFLINE,
        },
    ),
    "delete": private(
        "deleteBacnetCertificates",
        "Delete BACnet/SC certificate (PRIVATE)",
        "Delete the certificate(s) for a single device."
        + BACNET_DEVICES
        + "\n\n**Sandbox choice:** the operational certificate and every issuer certificate "
        "go (with `loose=true` the issuers no longer the authority of an operational "
        "certificate go too, which after the operational certificate is every one); "
        "`loose=false` is 400 (only true is supported); a device without certificates is 404.",
        parameters=[
            DEVICE_PARAMETER,
            q(
                "loose",
                {"type": "boolean", "enum": [True], "default": True},
                "If true, indicates that all issuer certificates which are not the authority "
                "of the currently active operational certificate should be deleted.\n\nNote: "
                "Only true is currently supported.\n\n**Sandbox choice:** so the "
                "parameter takes `true` only; `false` is 400.",
                True,
            ),
        ],
        responses={
            **no_content("The certificates are deleted."),
            **STD,
            **NF,
            **OFFLINE,
        },
    ),
}
paths["/api/v4/networkDevices/certificates/bacnet"] = {
    "post": private(
        "importBacnetCertificates",
        "Import BACnet/SC certificates (PRIVATE)",
        "Write a collection of raw certificate data to the devices associated to the included "
        "certificates.\n\n**Sandbox choice:** each operational certificate goes to the engine "
        "whose pending signing request has its public key, with the issuer certificates of its "
        "chain found in the ZIP; files are PEM, DER or PKCS #7. A body that is not a ZIP (or "
        "`application/x-zip-compressed`), a ZIP with a file that holds no certificate, or with "
        "no operational certificate is 400 and nothing is written; at most 1000 files, 4 MiB "
        "(16 MiB unpacked), 100 certificates a file. "
        "Changes need a user who may write (403 otherwise).",
        requestBody={
            "required": True,
            "description": "A ZIP file which must contain 1 or more operational certificates and "
            "their issuer certificate(s). The issuer certificate(s) may be a separate file or "
            "included with each operational certificate (known as a PKCS #7 file).",
            "content": {
                "application/zip": {
                    "schema": {"type": "string", "format": "binary"},
                    "example": "(the bytes of a ZIP file: NAE-1.pem, NAE-2.pem, ca.pem)",
                }
            },
        },
        responses={
            "200": ok(
                {"$ref": "#/components/schemas/bacnetCertificateImportResult"},
                [
                    {
                        "fileName": "NAE-1.pem",
                        "subject": "1.2.840.113549.1.9.1=noreply@jci.com,CN=NAE-1.jci.com,OU=BAS,O=Johnson Controls,L=Milwaukee,ST=WI,C=US",
                        "networkDeviceId": DEVICE_EXAMPLE,
                        "status": 204,
                    },
                    {
                        "fileName": "NAE-2.pem",
                        "subject": "1.2.840.113549.1.9.1=noreply@jci.com,CN=NAE-2.jci.com,OU=BAS,O=Johnson Controls,L=Milwaukee,ST=WI,C=US",
                        "networkDeviceId": "6b092d2e-c795-4e90-95e8-5acafc74f19d",
                        "status": 503,
                        "message": "The device is offline: ADS1:NAE-2.",
                    },
                    {
                        "fileName": "spare.pem",
                        "subject": "CN=SNE-9.jci.com",
                        "networkDeviceId": None,
                        "status": 404,
                        "message": "No network device has a signing request for this certificate.",
                    },
                ],
                "Import BACnet/SC certificates success response",
            ),
            **STD,
        },
    )
}
paths["/api/v4/networkDevices/batch"] = {
    "post": private(
        "postNetworkDevicesBatch",
        "Batch request for network devices (PRIVATE)",
        "Allows for batching multiple requests to many network devices. The operations "
        "relative to a network device it supports are those of "
        "`{networkDeviceId}/certificates/bacnet` (GET, PUT, DELETE) and "
        "`{networkDeviceId}/signingRequests/bacnet` (GET, POST, PUT, DELETE). This batch "
        "operation supports up to 1000 requests at a time.\n\nImplementation Notes\n\nThe "
        "certificate signing request body in responses is base64 encoded PEM content, which is "
        "different from the non-batch PEM response.\n\nThe schema of the request body is "
        "inconsistent with other batch paths. See GIV-108568.",
        requestBody={
            "required": True,
            "content": {
                "application/json": {
                    "schema": {"$ref": "#/components/schemas/networkDevicesBatchRequest"},
                    "example": {
                        "body": csr_parameters_example,
                        "requests": [
                            {
                                "id": "1",
                                "method": "POST",
                                "relativeUrl": f"{DEVICE_EXAMPLE}/signingRequests/bacnet",
                            },
                            {
                                "id": "2",
                                "method": "POST",
                                "relativeUrl": "6b092d2e-c795-4e90-95e8-5acafc74f19d/signingRequests/bacnet",
                            },
                        ],
                    },
                }
            },
        },
        responses={
            "200": ok(
                {"$ref": "#/components/schemas/networkDevicesBatchResponse"},
                {
                    "responses": [
                        {"id": "1", "status": 201, "body": csr_base64},
                        {
                            "id": "2",
                            "status": 409,
                            "body": {
                                "Message": "Network device 6b092d2e-c795-4e90-95e8-5acafc74f19d "
                                "already has a signing request; replace it instead."
                            },
                        },
                    ]
                },
                "Create certificate signing requests for multiple devices with the same "
                "parameters.",
            ),
            **STD,
        },
    )
}
