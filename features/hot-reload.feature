@client-eras
Feature: Servers added and removed without a restart
  switchboard watches its configuration file. When the file is saved, the servers it names are applied at once:
  a new server connects, a removed one disconnects, and every client is told that its lists changed. SIGHUP does the
  same. A file that does not load is refused with the same error as at start-up, and the running configuration stays.
  Only the servers change without a restart.

  Background:
    Given an upstream "weather" over Streamable HTTP with tools "echo"
    And an upstream "news" over Streamable HTTP with tools "whoami"

  Scenario: A server added to the file appears in the client's tools
    Given switchboard is running from a configuration file with the upstreams "weather"
    And a client is connected
    And the client sees exactly the tools "weather_echo"
    When the configuration file is saved with the upstreams "weather, news"
    Then the client is told that the tool list changed
    And the client eventually sees the tool "news_whoami"
    When the client calls "news_whoami"
    Then the result is "news"

  Scenario: A server removed from the file disappears, and its tools answer as unknown
    Given switchboard is running from a configuration file with the upstreams "weather, news"
    And a client is connected
    And the client sees exactly the tools "weather_echo, news_whoami"
    When the configuration file is saved with the upstreams "weather"
    Then the client is told that the tool list changed
    And the client eventually no longer sees the tool "news_whoami"
    And the server "news" soon holds 0 sessions

  Scenario: A file with a mistake is refused, and the running servers stay
    Given switchboard is running from a configuration file with the upstreams "weather"
    And a client is connected
    When the configuration file is saved with a mistake in it
    Then switchboard logged that it refused the configuration file, naming "timeoutMs"
    And the client sees exactly the tools "weather_echo"
    When the client calls "weather_echo" with text "still here"
    Then the result is "still here"

  Scenario: A reload, as SIGHUP asks for, applies the file
    Given switchboard is running from a configuration file with the upstreams "weather"
    And a client is connected
    And the client sees exactly the tools "weather_echo"
    When the configuration file is saved with the upstreams "weather, news"
    And switchboard is told to reload its configuration
    Then the client eventually sees the tool "news_whoami"
