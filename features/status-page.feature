Feature: The status page for operators
  `/admin` is a small read-only page, plain HTML with no script: every server with its state, health, tool count,
  the time of its last check and its last error. Behind the front door it needs a token with the scope
  `servers.read`, like the rest of switchboard needs its token.

  Background:
    Given an upstream "weather" over Streamable HTTP with tools "echo, forecast"
    And an upstream "news" that is not running yet, with tools "whoami"
    And switchboard checks the health of its servers every 300 ms

  Scenario: An operator sees every server, its health, its tools and its last error
    Given switchboard is running
    And switchboard reports the server "news" as unreachable
    When an operator opens the status page in a browser
    Then the page lists the servers "weather, news"
    And the page shows "weather" as connected and healthy, with 2 tools and no error
    And the page shows "news" as unreachable and unhealthy, with 0 tools and an error mentioning "fetch failed"
    And the page runs no script and loads nothing else

  Scenario: Behind the front door the page needs the scope servers.read
    Given an authorization server "idp"
    And switchboard is protected by "idp"
    And switchboard is running
    When an operator opens the status page in a browser without a token
    Then the browser is refused with the status 401
    When an operator opens the status page in a browser with a token of "olga" without the scope "servers.read"
    Then the browser is refused with the status 403
    And the audit trail holds, in this order:
      | user | action | resource type | resource | outcome | reason                                 |
      | olga | access | endpoint      | /admin   | denied  | the token lacks the scope servers.read |
    When an operator opens the status page in a browser with a token of "olga" with the scope "servers.read"
    Then the page lists the servers "weather, news"
