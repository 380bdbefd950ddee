using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.WebUtilities;

namespace CrisisDesk.TestSupport;

/// <summary>Who the fake provider signs in at its next authorize request (it has no login form of its own).</summary>
public sealed record OidcPerson(string Subject, string UserName, string Name, IReadOnlyList<string> Groups);

/// <summary>What is wrong with the id token the fake provider issues next, to prove the client refuses it.</summary>
public enum IdTokenFlaw
{
    None,
    /// <summary>Signed by another RSA key under the published key's id.</summary>
    WrongSignature,
    WrongAudience,
    WrongNonce,
    /// <summary>Expired ten minutes ago (beyond any clock skew).</summary>
    Expired,
    WrongIssuer,
}

/// <summary>
/// An OpenID Connect provider on a real Kestrel server, speaking the wire format a real one does, written here from
/// the specifications and not with the client's own library: the discovery document, a JWKS with a real RSA key, an
/// authorize endpoint that insists on PKCE (S256) and redirects back with the code and state, a token endpoint that
/// checks the client secret and the code verifier and issues an RS256-signed id token carrying the nonce, and an
/// end-session endpoint that returns to the client's post-logout address with its state. Like a real provider it keeps
/// a session of its own for the browser (a cookie set at authorize, <see cref="SessionCookie"/>), which the
/// end-session endpoint ends: <see cref="ActiveSessions"/> says which are still open.
/// </summary>
public sealed class FakeOidcProvider : IAsyncDisposable
{
    public const string KeyId = "fake-provider-key-1";

    /// <summary>The provider's own session cookie, set on its origin at authorize and deleted at end session.</summary>
    public const string SessionCookie = "fake_op_session";

    private readonly FakeServer _server;
    private readonly RSA _key = RSA.Create(2048);
    private readonly RSA _otherKey = RSA.Create(2048);
    private readonly ConcurrentDictionary<string, PendingCode> _codes = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, string> _sessions = new(StringComparer.Ordinal);

    private sealed record PendingCode(string ClientId, string RedirectUri, string Challenge, string? Nonce, OidcPerson Person, IdTokenFlaw Flaw);

    private FakeOidcProvider(FakeServer server, string clientId, string clientSecret, bool endSession)
    {
        _server = server;
        ClientId = clientId;
        ClientSecret = clientSecret;
        HasEndSession = endSession;
    }

    public string ClientId { get; }
    public string ClientSecret { get; }
    public bool HasEndSession { get; }

    /// <summary>The issuer, which is also the authority to configure: <c>http://127.0.0.1:port</c>.</summary>
    public string Issuer => _server.Address.ToString().TrimEnd('/');

    /// <summary>The person the next authorize request signs in.</summary>
    public OidcPerson NextPerson { get; set; } = new("sub-1", "person.one", "Person One", []);

    /// <summary>The flaw of the next id token issued.</summary>
    public IdTokenFlaw NextFlaw { get; set; }

    /// <summary>Each authorize request's query, in order.</summary>
    public ConcurrentQueue<IReadOnlyDictionary<string, string>> AuthorizeRequests { get; } = new();

    /// <summary>Each token request that passed every check (client, code, redirect, PKCE verifier).</summary>
    public ConcurrentQueue<IReadOnlyDictionary<string, string>> AcceptedTokenRequests { get; } = new();

    /// <summary>Each token request refused, with why.</summary>
    public ConcurrentQueue<string> RefusedTokenRequests { get; } = new();

    /// <summary>The provider's open sessions (the <see cref="SessionCookie"/> values), each with its person's subject.</summary>
    public IReadOnlyDictionary<string, string> ActiveSessions => new Dictionary<string, string>(_sessions, StringComparer.Ordinal);

    /// <summary>Each end-session request's query.</summary>
    public ConcurrentQueue<IReadOnlyDictionary<string, string>> EndSessionRequests { get; } = new();

    public static async Task<FakeOidcProvider> StartAsync(string clientId, string clientSecret, bool endSession = true)
    {
        FakeOidcProvider? provider = null;
        var server = await FakeServer.StartAsync(app =>
        {
            app.MapGet("/.well-known/openid-configuration", () => provider!.Discovery());
            app.MapGet("/jwks", () => provider!.Jwks());
            app.MapGet("/authorize", (HttpContext context) => provider!.Authorize(context));
            app.MapPost("/token", (Delegate)((HttpContext context) => provider!.TokenAsync(context)));
            app.MapGet("/logout", (HttpContext context) => provider!.EndSession(context));
        });
        provider = new FakeOidcProvider(server, clientId, clientSecret, endSession);
        return provider;
    }

    private IResult Discovery()
    {
        var document = new JsonObject
        {
            ["issuer"] = Issuer,
            ["authorization_endpoint"] = $"{Issuer}/authorize",
            ["token_endpoint"] = $"{Issuer}/token",
            ["jwks_uri"] = $"{Issuer}/jwks",
            ["response_types_supported"] = new JsonArray("code"),
            ["subject_types_supported"] = new JsonArray("public"),
            ["id_token_signing_alg_values_supported"] = new JsonArray("RS256"),
            ["code_challenge_methods_supported"] = new JsonArray("S256"),
            ["token_endpoint_auth_methods_supported"] = new JsonArray("client_secret_post", "client_secret_basic"),
            ["scopes_supported"] = new JsonArray("openid", "profile", "email"),
        };
        if (HasEndSession)
            document["end_session_endpoint"] = $"{Issuer}/logout";
        return Results.Text(document.ToJsonString(), "application/json");
    }

    private IResult Jwks()
    {
        var p = _key.ExportParameters(includePrivateParameters: false);
        var key = new JsonObject { ["kty"] = "RSA", ["use"] = "sig", ["alg"] = "RS256", ["kid"] = KeyId, ["n"] = Base64Url(p.Modulus!), ["e"] = Base64Url(p.Exponent!) };
        return Results.Text(new JsonObject { ["keys"] = new JsonArray(key) }.ToJsonString(), "application/json");
    }

    private IResult Authorize(HttpContext context)
    {
        var query = context.Request.Query.ToDictionary(q => q.Key, q => q.Value.ToString(), StringComparer.Ordinal);
        AuthorizeRequests.Enqueue(query);
        string Get(string name) => query.GetValueOrDefault(name) ?? "";
        // Problems with the client or its redirect address are shown here, never redirected (RFC 6749 §4.1.2.1).
        if (Get("client_id") != ClientId)
            return Results.BadRequest($"unknown client_id \"{Get("client_id")}\"");
        if (!Uri.TryCreate(Get("redirect_uri"), UriKind.Absolute, out var redirect))
            return Results.BadRequest("redirect_uri missing");
        var problem = Get("response_type") != "code" ? "unsupported_response_type"
            : !Get("scope").Split(' ').Contains("openid") ? "invalid_scope"
            : Get("code_challenge").Length < 43 || Get("code_challenge_method") != "S256" ? "invalid_request"
            : null;
        if (problem is not null)
            return Results.Redirect(QueryHelpers.AddQueryString(redirect.ToString(), new Dictionary<string, string?> { ["error"] = problem, ["state"] = Get("state") }));
        // The person is signed in here now (a real provider would have shown its login form first).
        var session = Base64Url(RandomNumberGenerator.GetBytes(16));
        _sessions[session] = NextPerson.Subject;
        context.Response.Cookies.Append(SessionCookie, session, new CookieOptions { HttpOnly = true, SameSite = SameSiteMode.Lax, Path = "/" });
        var code = Base64Url(RandomNumberGenerator.GetBytes(32));
        _codes[code] = new PendingCode(ClientId, redirect.ToString(), Get("code_challenge"), query.GetValueOrDefault("nonce"), NextPerson, NextFlaw);
        return Results.Redirect(QueryHelpers.AddQueryString(redirect.ToString(), new Dictionary<string, string?> { ["code"] = code, ["state"] = Get("state"), ["iss"] = Issuer }));
    }

    private async Task<IResult> TokenAsync(HttpContext context)
    {
        var form = (await context.Request.ReadFormAsync()).ToDictionary(f => f.Key, f => f.Value.ToString(), StringComparer.Ordinal);
        var (clientId, secret) = (form.GetValueOrDefault("client_id"), form.GetValueOrDefault("client_secret"));
        if (context.Request.Headers.Authorization.ToString() is { } basic && basic.StartsWith("Basic ", StringComparison.Ordinal))
        {
            var pair = Encoding.UTF8.GetString(Convert.FromBase64String(basic[6..])).Split(':', 2);
            (clientId, secret) = (Uri.UnescapeDataString(pair[0]), Uri.UnescapeDataString(pair[1]));
        }
        IResult Refuse(string error, string why)
        {
            RefusedTokenRequests.Enqueue(why);
            return Results.Json(new { error, error_description = why }, statusCode: 400);
        }
        if (clientId != ClientId || secret != ClientSecret)
            return Refuse("invalid_client", "client id or secret wrong");
        if (form.GetValueOrDefault("grant_type") != "authorization_code")
            return Refuse("unsupported_grant_type", "grant_type must be authorization_code");
        if (form.GetValueOrDefault("code") is not { } code || !_codes.TryRemove(code, out var pending))
            return Refuse("invalid_grant", "unknown or used code");
        if (form.GetValueOrDefault("redirect_uri") != pending.RedirectUri)
            return Refuse("invalid_grant", "redirect_uri differs from the authorize request's");
        var verifier = form.GetValueOrDefault("code_verifier") ?? "";
        if (verifier.Length < 43 || Base64Url(SHA256.HashData(Encoding.ASCII.GetBytes(verifier))) != pending.Challenge)
            return Refuse("invalid_grant", "code_verifier does not match the code_challenge");
        AcceptedTokenRequests.Enqueue(form);
        return Results.Json(new
        {
            access_token = Base64Url(RandomNumberGenerator.GetBytes(32)),
            token_type = "Bearer",
            expires_in = 300,
            id_token = IdToken(pending),
        });
    }

    private string IdToken(PendingCode pending)
    {
        var now = DateTimeOffset.UtcNow;
        var issuedAt = pending.Flaw == IdTokenFlaw.Expired ? now.AddMinutes(-20) : now;
        var payload = new JsonObject
        {
            ["iss"] = pending.Flaw == IdTokenFlaw.WrongIssuer ? "http://127.0.0.1:1/not-this-issuer" : Issuer,
            ["sub"] = pending.Person.Subject,
            ["aud"] = pending.Flaw == IdTokenFlaw.WrongAudience ? "some-other-client" : pending.ClientId,
            ["iat"] = issuedAt.ToUnixTimeSeconds(),
            ["nbf"] = issuedAt.ToUnixTimeSeconds(),
            ["exp"] = issuedAt.AddMinutes(10).ToUnixTimeSeconds(),
            ["preferred_username"] = pending.Person.UserName,
            ["name"] = pending.Person.Name,
            ["groups"] = new JsonArray(pending.Person.Groups.Select(g => (JsonNode?)JsonValue.Create(g)).ToArray()),
        };
        if (pending.Nonce is not null)
            payload["nonce"] = pending.Flaw == IdTokenFlaw.WrongNonce ? "a-nonce-this-client-never-sent" : pending.Nonce;
        var header = new JsonObject { ["alg"] = "RS256", ["typ"] = "JWT", ["kid"] = KeyId };
        var signingInput = $"{Base64Url(Encoding.UTF8.GetBytes(header.ToJsonString()))}.{Base64Url(Encoding.UTF8.GetBytes(payload.ToJsonString()))}";
        var signer = pending.Flaw == IdTokenFlaw.WrongSignature ? _otherKey : _key;
        var signature = signer.SignData(Encoding.ASCII.GetBytes(signingInput), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        return $"{signingInput}.{Base64Url(signature)}";
    }

    private IResult EndSession(HttpContext context)
    {
        var query = context.Request.Query.ToDictionary(q => q.Key, q => q.Value.ToString(), StringComparer.Ordinal);
        EndSessionRequests.Enqueue(query);
        if (context.Request.Cookies.TryGetValue(SessionCookie, out var session))
        {
            _sessions.TryRemove(session, out _);
            context.Response.Cookies.Delete(SessionCookie, new CookieOptions { Path = "/" });
        }
        if (query.GetValueOrDefault("post_logout_redirect_uri") is { Length: > 0 } back)
            return Results.Redirect(QueryHelpers.AddQueryString(back, "state", query.GetValueOrDefault("state") ?? ""));
        return Results.Text("Signed out at the fake provider.");
    }

    /// <summary>The claims of an id token, read without checking anything (for assertions only).</summary>
    public static JsonElement ReadPayload(string jwt) =>
        JsonDocument.Parse(WebEncoders.Base64UrlDecode(jwt.Split('.')[1])).RootElement.Clone();

    private static string Base64Url(byte[] bytes) => WebEncoders.Base64UrlEncode(bytes);

    public async ValueTask DisposeAsync()
    {
        await _server.DisposeAsync();
        _key.Dispose();
        _otherKey.Dispose();
    }
}
