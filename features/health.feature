@client-eras @upstream-eras
Feature: Health of the servers
  switchboard checks every server periodically (`healthCheck.intervalMs`, for all servers or per server) on the
  server's own connection, with the server's own credentials: a ping, or `server/discover` for a server that speaks
  2026-07-28. Each server's health (healthy, state, last error, time of the last check, latency) is reported in
  /readyz, in the `auth://status` resource and in the metrics. A server that fails its check loses its tools until it
  recovers; when its upstream answers again it recovers by itself, and clients are told its tools are back.

  Background:
    Given an upstream "weather" over Streamable HTTP with tools "echo"
    And an upstream "news" over Streamable HTTP with tools "whoami"
    And switchboard checks the health of its servers every 300 ms

  Scenario: A server that answers is reported healthy, with its latency and the time of its last check
    Given switchboard is running
    Then switchboard's health report soon shows "news" healthy, checked within the last 2 seconds, with its latency
    And the metrics show "news" as healthy

  Scenario: A server whose upstream starts failing is found by the periodic check, and recovers by itself
    Given switchboard is running
    And a client is connected
    And the client sees exactly the tools "weather_echo, news_whoami"
    When the upstream "news" starts answering every request with a server error
    Then switchboard's health report soon shows "news" unhealthy, with an error that mentions "mock upstream failure"
    And the metrics show "news" as unhealthy
    And the auth status shows "news" as unhealthy, with an error that mentions "mock upstream failure"
    And the client is told that the tool list changed
    And the client sees exactly the tools "weather_echo"
    When the upstream "news" answers normally again
    Then the client is told that the tool list changed
    And the client eventually sees the tool "news_whoami"
    And switchboard's health report soon shows "news" healthy, checked within the last 2 seconds, with its latency
    And the auth status shows "news" as healthy

  Scenario: A server can be checked more often than the others
    Given the upstream "news" is checked every 100 ms
    And switchboard checks the health of its servers every 60000 ms
    And switchboard is running
    Then the upstream "news" is checked at least 5 times within 2 seconds
    And the upstream "weather" is checked at most once within 2 seconds
