@client-eras
Feature: Static credentials for upstream servers
  Many servers take no sign-in but an API key, a password or an app-level OAuth token. The operator configures it
  once per server (`auth.type`: bearer, basic, headers, query or client_credentials), from an environment variable or
  a file. switchboard sends it to that server's own origin only, for every client, and it never appears in switchboard's
  log, its answers, its readiness report, its metrics or the auth status. Credentials that the server refuses are a
  configuration problem: the server shows as failed with the authentication error, and no sign-in is offered for it.

  @upstream-eras
  Scenario: A bearer token opens a server that demands one
    Given an upstream "billing" that demands the bearer token "tok-billing-7f3a"
    And switchboard sends "billing" the bearer token "tok-billing-7f3a" from the environment
    And switchboard is running
    And a client is connected
    Then the client sees the tool "billing_echo"
    And the client does not see the tool "authenticate_billing"
    When the client calls "billing_echo" with text "invoice 42"
    Then the result is "invoice 42"
    And the auth status shows "billing" as "connected"
    And the secret "tok-billing-7f3a" appears nowhere in what switchboard logged, reported or answered

  @upstream-eras
  Scenario: Basic credentials, the password from a file
    Given an upstream "ledger" that demands the user "svc-ledger" with the password "pw-ledger-91c2"
    And switchboard sends "ledger" the user "svc-ledger" with the password from a file holding "pw-ledger-91c2"
    And switchboard is running
    And a client is connected
    When the client calls "ledger_echo" with text "balance"
    Then the result is "balance"
    And the secret "pw-ledger-91c2" appears nowhere in what switchboard logged, reported or answered

  @upstream-eras
  Scenario: An API key in a custom header
    Given an upstream "search" that demands the header "X-Api-Key" with "key-search-5d0e"
    And switchboard sends "search" the header "X-Api-Key" with "key-search-5d0e"
    And switchboard is running
    And a client is connected
    When the client calls "search_echo" with text "docs"
    Then the result is "docs"
    And the secret "key-search-5d0e" appears nowhere in what switchboard logged, reported or answered

  @upstream-eras
  Scenario: An API key in the query string is in the upstream URL, and nowhere else
    Given an upstream "maps" that demands the query key "api_key" with "qk-maps-2b8d"
    And switchboard sends "maps" the query key "api_key" with "qk-maps-2b8d"
    And switchboard is running
    And a client is connected
    When the client calls "maps_echo" with text "route"
    Then the result is "route"
    And every request "maps" received had "api_key=qk-maps-2b8d" in its URL
    And the secret "qk-maps-2b8d" appears nowhere in what switchboard logged, reported or answered

  @upstream-eras
  Scenario: Credentials the server refuses make it failed, with the authentication error and no sign-in
    Given an upstream "billing" that demands the bearer token "tok-right-e41b"
    And switchboard sends "billing" the bearer token "tok-wrong-0c9a" from the environment
    And an upstream "weather" over Streamable HTTP with tools "echo"
    And switchboard is running
    And a client is connected
    Then the auth status shows "billing" as "failed"
    And switchboard reports "billing" as failed because "authentication failed" with "HTTP 401"
    And the client does not see the tool "authenticate_billing"
    And the client does not see the tool "billing_echo"
    And the client sees the tool "weather_echo"
    And the tool list says that nothing needs a sign-in
    When the client calls "billing_echo"
    Then the call fails with a tool error mentioning "HTTP 401"
    And the secret "tok-wrong-0c9a" appears nowhere in what switchboard logged, reported or answered

  @upstream-eras
  Scenario: A server whose key was changed under it fails, and comes back once the key matches again
    Given an upstream "billing" that demands the bearer token "tok-billing-7f3a"
    And switchboard sends "billing" the bearer token "tok-billing-7f3a" from the environment
    And switchboard is running
    And a client is connected
    And the client sees the tool "billing_echo"
    When the upstream "billing" demands the bearer token "tok-rotated-11aa" from now on
    And the client calls "billing_echo"
    Then the call fails with a tool error mentioning "authentication failed"
    And the auth status shows "billing" as "failed"
    When the upstream "billing" demands the bearer token "tok-billing-7f3a" from now on
    Then the client eventually sees the tool "billing_echo"

  Scenario: An app-level token is obtained automatically with client credentials
    Given an authorization server "corp" that knows the service client "reports-svc" with the secret "cs-reports-77e1"
    And a protected server "reports" behind "corp"
    And switchboard uses the client credentials "reports-svc" with the secret "cs-reports-77e1" for "reports"
    And switchboard is running
    And a client is connected
    Then the client sees the tool "reports_whoami"
    And the client does not see the tool "authenticate_reports"
    When the client calls "reports_whoami"
    Then "reports" received a token from "corp" meant for "reports"
    And "corp" issued client credentials tokens only, to "reports-svc"
    And the secret "cs-reports-77e1" appears nowhere in what switchboard logged, reported or answered

  Scenario: An app-level token is obtained with a signed client assertion instead of a secret (private_key_jwt)
    Given an authorization server "corp" that knows the service client "reports-svc" by its public key
    And a protected server "reports" behind "corp"
    And switchboard uses the client credentials "reports-svc" with its private key from a file for "reports"
    And switchboard is running
    And a client is connected
    Then the client sees the tool "reports_whoami"
    And the client does not see the tool "authenticate_reports"
    When the client calls "reports_whoami"
    Then "reports" received a token from "corp" meant for "reports"
    And "corp" issued client credentials tokens only, to "reports-svc"
    And "corp" authenticated "reports-svc" by a JWT client assertion signed with its key, for "corp" itself
    And the private key of "reports-svc" appears nowhere in what switchboard logged

  Scenario: The client credentials token is renewed before it expires
    Given an authorization server "corp" that knows the service client "reports-svc" with the secret "cs-reports-77e1"
    And tokens of "corp" live 2 seconds
    And a protected server "reports" behind "corp"
    And switchboard uses the client credentials "reports-svc" with the secret "cs-reports-77e1" for "reports"
    And switchboard is running
    And a client is connected
    When the client calls "reports_whoami" every 250 ms for 4 seconds
    Then every one of those calls succeeded
    And "corp" issued at least 2 client credentials tokens
    And "reports" never refused an expired token

  Scenario: A revoked client credentials token is replaced at once
    Given an authorization server "corp" that knows the service client "reports-svc" with the secret "cs-reports-77e1"
    And a protected server "reports" behind "corp"
    And switchboard uses the client credentials "reports-svc" with the secret "cs-reports-77e1" for "reports"
    And switchboard is running
    And a client is connected
    And the client calls "reports_whoami"
    When "corp" revokes every token
    And the client calls "reports_whoami"
    Then the result mentions "reports-svc"

  Scenario: A wrong client secret makes the server failed, naming the refusal, with no sign-in
    Given an authorization server "corp" that knows the service client "reports-svc" with the secret "cs-reports-77e1"
    And a protected server "reports" behind "corp"
    And switchboard uses the client credentials "reports-svc" with the secret "cs-wrong-3f00" for "reports"
    And switchboard is running
    And a client is connected
    Then switchboard reports "reports" as failed because "invalid_client"
    And the auth status shows "reports" as "failed"
    And the client does not see the tool "authenticate_reports"
    And the secret "cs-wrong-3f00" appears nowhere in what switchboard logged, reported or answered

  @upstream-eras
  Scenario: Every tool, prompt and resource says which server it comes from
    Given an upstream "billing" that demands the bearer token "tok-billing-7f3a"
    And switchboard sends "billing" the bearer token "tok-billing-7f3a" from the environment
    And an upstream "weather" over Streamable HTTP with tools "echo, forecast"
    And the upstream "weather" has a prompt "daily"
    And the upstream "weather" has a resource "file:///weather/today.txt" with text "sunny"
    And switchboard is running
    And a client is connected
    Then every tool the client sees names its server: "billing_echo" from "billing", "weather_echo" and "weather_forecast" from "weather"
    And the prompt "weather_daily" names its server "weather"
    And the resource "weather+file:///weather/today.txt" names its server "weather"
