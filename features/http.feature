Feature: The HTTP endpoint
  switchboard serves MCP over Streamable HTTP at /mcp, with health, readiness and metrics beside it. It refuses
  requests a web page could have been tricked into sending (foreign origins, DNS rebinding), bounds the size of
  requests, answers malformed messages with the JSON-RPC error that says what is wrong (and stays up), and keeps each
  client session until the client ends it or leaves it idle. Sessions share switchboard's connections to the servers:
  a public server has one connection, a stdio server one process, whatever the number of sessions; a session that
  ends leaves nothing of its own open on its servers.

  Background:
    Given an upstream "weather" over Streamable HTTP with tools "echo, echo_size"

  Scenario: A web page from another origin is refused
    Given switchboard is running
    When a web page from "https://evil.example" opens a session
    Then it is refused as forbidden

  Scenario: switchboard's own origin, a configured origin and clients that send no origin are served
    Given browser pages from "https://console.example" may use switchboard
    And switchboard is running
    When a web page from switchboard's own origin opens a session
    Then the session opens
    When a web page from "https://console.example" opens a session
    Then the session opens
    When a client that sends no origin opens a session
    Then the session opens

  Scenario: A request addressed to a name other than loopback is refused (DNS rebinding)
    Given switchboard is running
    When a web page from "http://rebound.example" opens a session through a name that resolves to switchboard
    Then it is refused as forbidden

  Scenario: Listening on all interfaces, only pages from the public address are served
    Given switchboard listens on all interfaces
    And switchboard is published at "https://switchboard.example"
    And switchboard is running
    When a web page from "http://rebound.example" opens a session through a name that resolves to switchboard
    Then it is refused as forbidden
    When a web page from "https://switchboard.example" opens a session
    Then the session opens

  Scenario: A call with a large argument goes through
    Given switchboard is running
    And a client is connected
    When the client calls "weather_echo_size" with 3 MiB of data
    Then the result is "3145728"

  Scenario: A request above the size limit is refused, and switchboard stays up
    Given switchboard is running
    And a client is connected
    When the client sends a request of 5 MiB
    Then it is refused as too large, with a JSON-RPC error
    When the client calls "weather_echo" with text "still up"
    Then the result is "still up"

  Scenario Outline: A request for a session switchboard does not know is answered "not found" (<request>)
    Given switchboard is running
    When a <request> arrives for a session that does not exist
    Then it is answered "not found"

    Examples:
      | request                  |
      | message                  |
      | notification stream      |
      | request to end a session |

  Scenario Outline: A message that is valid JSON but no JSON-RPC message is refused as invalid (<value>)
    Given switchboard is running
    And a client is connected
    When the client sends <value> in place of a message
    Then it is refused as an invalid request
    When the client calls "weather_echo" with text "still up"
    Then the result is "still up"

    Examples:
      | value |
      | 42    |
      | "str" |
      | null  |
      | true  |

  Scenario: An empty batch of messages is refused with one error
    Given switchboard is running
    And a client is connected
    When the client sends an empty batch of messages
    Then it is refused as an invalid request

  Scenario: Text that is not JSON is refused as unreadable
    Given switchboard is running
    And a client is connected
    When the client sends text that is not JSON
    Then it is refused as unreadable

  Scenario: A session cannot be opened with a body that says it is plain text
    Given switchboard is running
    When a client opens a session with a body declared as plain text
    Then it is refused as an unsupported media type

  Scenario: A message declared as plain text is refused in a session too
    Given switchboard is running
    And a client is connected
    When the client sends a message declared as plain text
    Then it is refused as an unsupported media type

  Scenario: A client that accepts neither JSON nor event streams is refused
    Given switchboard is running
    And a client is connected
    When the client sends a message accepting only HTML
    Then it is refused as not acceptable

  Scenario Outline: A tool call with <mistake> is refused by switchboard itself
    Given switchboard is running
    And a client is connected
    When the client calls a tool with <mistake>
    Then it is refused as invalid params, with a short message
    And the upstream "weather" received no call

    Examples:
      | mistake                  |
      | no name                  |
      | a number as its name     |
      | arguments given as text  |
      | arguments given as array |

  Scenario: A client that ends its session cannot use it any more
    Given switchboard is running
    And a client is connected
    When the client ends its session
    Then switchboard holds 0 open sessions
    And a request in the client's session is answered "not found"

  Scenario: Sessions share one connection to a public server, and one process of a stdio server
    Given an upstream "files" over stdio with tools "echo"
    And switchboard is running
    And client "alice" is connected
    And client "bob" is connected
    When client "alice" calls "weather_echo" with text "hello"
    And client "bob" calls "files_echo" with text "hello"
    And client "bob" calls "weather_echo" with text "hello"
    Then the server "weather" holds 1 session
    And the server "files" runs 1 process
    And the metrics count 2 upstream connections
    When client "alice" ends its session
    And client "bob" ends its session
    Then the server "files" still runs 1 process
    And the metrics count 2 upstream connections

  Scenario: A stdio server can run a process per session, which ends with the session
    Given an upstream "files" over stdio with tools "echo", with a process of its own for each session
    And switchboard is running
    And a client is connected
    When the client calls "files_echo" with text "hello"
    Then the server "files" runs 2 processes
    And the metrics count 3 upstream connections
    When the client ends its session
    Then the server "files" soon runs 1 process
    And the metrics count 2 upstream connections

  Scenario: An idle session expires
    Given sessions expire after 500 ms without requests
    And switchboard is running
    And a client is connected
    Then switchboard soon holds 0 open sessions
    And a request in the client's session is answered "not found"

  Scenario: A session in use does not expire
    Given sessions expire after 1500 ms without requests
    And switchboard is running
    And a client is connected
    When the client calls "weather_echo" every 300 ms for 4 seconds
    Then every one of those calls succeeded
    And switchboard holds 1 open session

  Scenario: Health
    Given switchboard is running
    Then switchboard reports that it is alive

  Scenario: Readiness shows the state of every server
    Given an upstream "news" that is not running yet, with tools "whoami"
    And switchboard is running
    Then switchboard reports the server "weather" as connected
    And switchboard reports the server "news" as unreachable

  Scenario: Metrics count calls, errors and latency per server
    Given an upstream "news" over Streamable HTTP with tools "publish"
    And the upstream "news" has a tool "publish" that always fails
    And switchboard is running
    And a client is connected
    When the client calls "weather_echo" with text "one"
    And the client calls "weather_echo" with text "two"
    And the client calls "news_publish"
    Then the metrics count 2 successful calls to "weather"
    And the metrics count 0 failed calls to "weather"
    And the metrics count 1 failed call to "news"
    And the metrics record the latency of 2 calls to "weather"
    And the metrics record the latency of 1 call to "news"

  Scenario: Metrics count calls to a server that is down as failed
    Given an upstream "news" that is not running yet, with tools "whoami"
    And switchboard is running
    And a client is connected
    When the client calls "news_whoami"
    Then the call fails with a tool error mentioning 'server "news" is unreachable'
    And the metrics count 1 failed call to "news"
