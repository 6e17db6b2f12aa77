"""The Azure AD token endpoint's decisions for the client-credentials grant, without HTTP.

Azure AD checks the directory, then the request's parameters, then the client and its secret,
then the scope; each failure has its AADSTS code and HTTP status (see ``errors.aad``).

**Sandbox choice:** the tokens are Azure AD v1.0 access tokens, whichever endpoint issued them.
Azure AD issues the version the *resource's* app registration accepts
(``accessTokenAcceptedVersion``), not the endpoint's, and an API registration that does not set
it, as the guide's ``api://...`` App ID URI scope suggests, gets v1.0: ``aud`` is the App ID URI
as requested (the Scope value an integrator was given, so a verifier knows it), ``iss`` is
``https://sts.windows.net/{tenant id}/``, the client is ``appid``. A v2.0 token would carry the
API's application id GUID in ``aud``, which no integrator is given.
"""

from __future__ import annotations

import base64
import hmac
import random
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from standin._core.errors import VendorError
from standin._core.oauth import ClientAuth
from standin._core.tenants import Tenant
from standin._core.tokens import TokenIssuer
from standin.buildingminds import errors

API_KEY = "buildingminds"
GUIDE_DIRECTORY = "buildingminds.onmicrosoft.com"
"""The tenant segment of the guide's token URL."""
TOKEN_LIFETIME = 3599
DEFAULT_SUFFIX = "/.default"
WRITE_ROLE = "DigitalTwinIntegration.ReadWrite"
ISSUER = "https://sts.windows.net/{tid}/"
"""The issuer of v1.0 access tokens, and of the v1.0 discovery document."""
ISSUER_V2 = "https://login.microsoftonline.com/{tid}/v2.0"
"""The issuer the v2.0 discovery document names (of v2.0 tokens, which the sandbox never issues)."""


@dataclass(frozen=True)
class AppRegistration:
    """A client application (credential) of one sandbox tenant."""

    tenant: Tenant
    client_id: str
    client_secret: str
    roles: tuple[str, ...]


@dataclass(frozen=True)
class Directory:
    """An Azure AD tenant, as the token URL names it (domain or id)."""

    names: tuple[str, ...]
    id: str


class AzureAd:
    def __init__(
        self,
        tenants: Callable[[], Sequence[Tenant]],
        issuer: Callable[[], TokenIssuer],
        resources: Sequence[str],
        now: Callable[[], float],
        seed: int,
        find: Callable[[str], Tenant | None] | None = None,
    ) -> None:
        self._tenants = tenants
        self._find = find
        """Finds the tenant of a directory name among tenants not in ``tenants()`` (those
        another replica serves, with several replicas)."""
        self._issuer = issuer
        self.resources = tuple(resources)
        """Application ID URIs Azure AD issues tokens for (this environment's first)."""
        self._now = now
        self._random = random.Random(seed)

    # --- lookups -----------------------------------------------------------------------------

    def directory(self, name: str) -> Directory | None:
        for tenant in self._tenants():
            directory = directory_of(tenant)
            if name.lower() in (n.lower() for n in directory.names):
                return directory
        found = None if self._find is None else self._find(name)
        return None if found is None else directory_of(found)

    def application(self, directory: Directory, client_id: str) -> AppRegistration | None:
        for tenant in self._tenants():
            if directory_of(tenant).id != directory.id:
                continue
            for registration in registrations(tenant):
                if registration.client_id == client_id:
                    return registration
        return None

    # --- the grant ---------------------------------------------------------------------------

    def token(
        self, tenant_segment: str, form: Mapping[str, str], basic: ClientAuth | None
    ) -> dict[str, Any]:
        directory = self.directory(tenant_segment)
        if directory is None:
            raise self.error(
                400,
                "invalid_request",
                90002,
                f"Tenant '{tenant_segment}' not found. Check to make sure you have the correct "
                "tenant ID and are signing into the correct cloud. Check with your subscription "
                "administrator, this may happen if there are no active subscriptions for the "
                "tenant.",
            )
        grant_type = form.get("grant_type", "")
        if not grant_type:
            raise self.missing_parameter("grant_type")
        if grant_type != "client_credentials":
            raise self.error(
                400,
                "unsupported_grant_type",
                70003,
                f"The app requested an unsupported grant type '{grant_type}'.",
            )
        if basic is None:
            client_id, secret = form.get("client_id", ""), form.get("client_secret", "")
        else:
            client_id, secret = basic.client_id, basic.client_secret
        if not client_id:
            raise self.missing_parameter("client_id")
        scope = form.get("scope", "").strip()
        if not scope:
            raise self.error(
                400,
                "invalid_request",
                90014,
                "The required field 'scope' is missing from the credential. Ensure that you have "
                "all the necessary parameters for the login request.",
            )
        app = self.application(directory, client_id)
        if app is None:
            raise self.error(
                400,
                "unauthorized_client",
                700016,
                f"Application with identifier '{client_id}' was not found in the directory "
                f"'{tenant_segment}'. This can happen if the application has not been installed "
                "by the administrator of the tenant or consented to by any user in the tenant. "
                "You may have sent your authentication request to the wrong tenant.",
            )
        if not secret:
            raise self.error(
                401,
                "invalid_client",
                7000218,
                "The request body must contain the following parameter: 'client_assertion' or "
                "'client_secret'.",
            )
        if not hmac.compare_digest(secret.encode(), app.client_secret.encode()):
            raise self.error(
                401,
                "invalid_client",
                7000215,
                "Invalid client secret provided. Ensure the secret being sent in the request is "
                "the client secret value, not the client secret ID, for a secret added to app "
                f"'{client_id}'.",
            )
        resource = self._resource(scope)
        return self._issue(directory, app, resource)

    def _resource(self, scope: str) -> str:
        if len(scope.split()) == 1 and not scope.endswith(DEFAULT_SUFFIX):
            raise self.error(
                400,
                "invalid_scope",
                1002012,
                f"The provided value for scope {scope} is not valid. Client credential flows "
                "must have a scope value with /.default suffixed to the resource identifier "
                "(application ID URI).",
            )
        resource = scope.removesuffix(DEFAULT_SUFFIX)
        if len(scope.split()) != 1 or resource.rstrip("/") not in self.resources:
            raise self.error(
                400,
                "invalid_scope",
                70011,
                "The provided value for the input parameter 'scope' is not valid. "
                f"The scope {scope} is not valid.",
            )
        return resource.rstrip("/")

    def _issue(self, directory: Directory, app: AppRegistration, resource: str) -> dict[str, Any]:
        object_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"sp:{directory.id}:{app.client_id}"))
        issuer = ISSUER.format(tid=directory.id)
        claims: dict[str, Any] = {
            "aud": resource,
            "iss": issuer,
            "aio": self._opaque(),
            "appid": app.client_id,
            "appidacr": "1",
            "idp": issuer,
            "oid": object_id,
            "rh": self._opaque() + ".",
            "tid": directory.id,
            "uti": self._opaque()[:22],
            "ver": "1.0",
        }
        if resource == self.resources[0] and app.roles:
            claims["roles"] = list(app.roles)
        token = self._issuer().issue(
            tenant_id=app.tenant.id,
            subject=object_id,
            client_id=app.client_id,
            scope=resource + DEFAULT_SUFFIX,
            claims=claims,
            lifetime_seconds=TOKEN_LIFETIME,
        )
        return {
            "token_type": "Bearer",
            "expires_in": TOKEN_LIFETIME,
            "ext_expires_in": TOKEN_LIFETIME,
            "access_token": token.value,
        }

    # --- discovery ---------------------------------------------------------------------------

    def openid_configuration(
        self, directory: Directory, segment: str, base: str, *, v2: bool = True
    ) -> dict[str, Any]:
        """The v2.0 document, or (``v2=False``) the v1.0 one whose issuer the tokens carry.

        **Sandbox choice:** both name the v2.0 token endpoint, the only one served.
        """
        here = f"{base}/{segment}"
        return {
            "token_endpoint": f"{here}/oauth2/v2.0/token",
            "token_endpoint_auth_methods_supported": [
                "client_secret_post",
                "private_key_jwt",
                "client_secret_basic",
            ],
            "jwks_uri": f"{here}/discovery/v2.0/keys" if v2 else f"{here}/discovery/keys",
            "response_modes_supported": ["query", "fragment", "form_post"],
            "subject_types_supported": ["pairwise"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
            "scopes_supported": ["openid", "profile", "email", "offline_access"],
            "issuer": (ISSUER_V2 if v2 else ISSUER).format(tid=directory.id),
            "request_uri_parameter_supported": False,
            "authorization_endpoint": f"{here}/oauth2/v2.0/authorize",
            "end_session_endpoint": f"{here}/oauth2/v2.0/logout",
            "claims_supported": [
                "sub",
                "iss",
                "aud",
                "exp",
                "iat",
                "nbf",
                "tid",
                "azp" if v2 else "appid",
                "oid",
                "roles",
                "ver",
            ],
            "tenant_region_scope": "EU",
            "cloud_instance_name": "microsoftonline.com",
        }

    def jwks(self) -> dict[str, Any]:
        """The keys tokens are signed with, as ``discovery/v2.0/keys`` publishes them."""
        signer = self._issuer().signer
        assert signer is not None  # a JWT issuer always has one
        return signer.jwks()

    # --- errors ------------------------------------------------------------------------------

    def error(self, status: int, error: str, code: int, description: str) -> VendorError:
        trace = uuid.UUID(int=self._random.getrandbits(128), version=4)
        correlation = uuid.UUID(int=self._random.getrandbits(128), version=4)
        return errors.aad(status, error, code, description, self._now(), trace, correlation)

    def missing_parameter(self, name: str) -> VendorError:
        return self.error(
            400,
            "invalid_request",
            900144,
            f"The request body must contain the following parameter: '{name}'.",
        )

    def wrong_method(self, method: str) -> VendorError:
        return self.error(
            405,
            "invalid_request",
            900561,
            f"The endpoint only accepts POST, OPTIONS requests. Received a {method} request.",
        )

    def _opaque(self) -> str:
        raw = self._random.getrandbits(256).to_bytes(32, "big")
        return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def directory_of(tenant: Tenant) -> Directory:
    credentials = tenant.credentials[API_KEY]
    return Directory(
        (credentials["tenant"], credentials["directory_id"]), credentials["directory_id"]
    )


def registrations(tenant: Tenant) -> list[AppRegistration]:
    """A tenant's two clients: one with read and write on this environment, one without."""
    credentials = tenant.credentials[API_KEY]
    return [
        AppRegistration(
            tenant, credentials["client_id"], credentials["client_secret"], (WRITE_ROLE,)
        ),
        AppRegistration(
            tenant, credentials["forbidden_client_id"], credentials["forbidden_client_secret"], ()
        ),
    ]
