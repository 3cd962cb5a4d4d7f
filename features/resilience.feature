@upstream-eras
Feature: Servers that are down, broken or slow
  One server's trouble never takes the others down. A server that is down is retried in the background; while it
  is down its tools are not listed, and a call to one of them is answered with a tool error that names the server
  and its state. When it comes back, its tools return and clients are told.

  Background:
    Given an upstream "weather" over Streamable HTTP with tools "echo"

  Scenario: A server that is down at start does not hold up the others
    Given an upstream "news" that is not running yet, with tools "whoami"
    And switchboard is running
    And a client is connected
    Then the client sees exactly the tools "weather_echo"
    When the client calls "weather_echo" with text "still here"
    Then the result is "still here"
    And switchboard reports the server "news" as unreachable
    When the client calls "news_whoami"
    Then the call fails with a tool error mentioning 'server "news" is unreachable'

  Scenario: A server that starts later joins the catalog
    Given an upstream "news" that is not running yet, with tools "whoami"
    And switchboard is running
    And a client is connected
    And the client sees exactly the tools "weather_echo"
    When the upstream "news" starts
    Then the client is told that the tool list changed
    And the client eventually sees the tool "news_whoami"
    And switchboard reports the server "news" as connected
    When the client calls "news_whoami"
    Then the result is "news"

  Scenario: A server that stays down does not make clients list again and again
    Given an upstream "news" that is not running yet, with tools "whoami"
    And switchboard is running
    And a client is connected
    And the client sees exactly the tools "weather_echo"
    When switchboard has tried to reach "news" 3 more times
    Then the client was not told that the tool list changed

  Scenario: A server that goes away during a session, and comes back
    Given an upstream "news" over Streamable HTTP with tools "whoami"
    And switchboard is running
    And a client is connected
    And the client sees exactly the tools "weather_echo, news_whoami"
    When the upstream "news" stops
    Then the client is told that the tool list changed
    And the client sees exactly the tools "weather_echo"
    When the client calls "weather_echo" with text "still here"
    Then the result is "still here"
    When the client calls "news_whoami"
    Then the call fails with a tool error mentioning 'server "news" is unreachable'
    When the upstream "news" comes back
    Then the client is told that the tool list changed
    And the client eventually sees the tool "news_whoami"
    When the client calls "news_whoami"
    Then the result is "news"

  Scenario: A call that hangs ends at the server's timeout, and the server is told to stop
    Given an upstream "archive" over Streamable HTTP with tools "hang"
    And the upstream "archive" has a timeout of 1000 ms
    And switchboard is running
    And a client is connected
    When the client calls "archive_hang"
    Then the call fails with a tool error mentioning 'server "archive" did not answer within 1000 ms'
    And the upstream "archive" saw the call to "hang" cancelled

  Scenario: A server that answers every request with an error is failed, and the others carry on
    Given an upstream "broken" over Streamable HTTP with tools "echo"
    And the upstream "broken" answers every request with a server error
    And switchboard is running
    And a client is connected
    Then the client sees exactly the tools "weather_echo"
    And switchboard reports the server "broken" as failed
    When the client calls "weather_echo" with text "unaffected"
    Then the result is "unaffected"
    When the client calls "broken_echo"
    Then the call fails with a tool error mentioning 'server "broken" is failed'

  Scenario: A call to a tool nobody offers is a protocol error naming the tool
    Given switchboard is running
    And a client is connected
    When the client calls "weather_nonexistent"
    Then the call fails with a protocol error mentioning 'unknown tool "weather_nonexistent"'

  Scenario: A call the client gives up on is cancelled at the server
    Given an upstream "archive" over Streamable HTTP with tools "hang"
    And switchboard is running
    And a client is connected
    When the client calls "archive_hang" and gives up once the server is working on it
    Then the upstream "archive" saw the call to "hang" cancelled
    When the client calls "weather_echo" with text "next"
    Then the result is "next"
