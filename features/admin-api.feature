Feature: Servers added, changed and removed through the admin API
  A shared switchboard is run by its operators, who add servers without touching the configuration file. The admin
  API under /admin/servers lists, shows, creates, changes and deletes servers; a change applies at once, and every
  client is told that its lists changed. A server is checked exactly as the configuration file's entries are, and
  secrets are never shown: they come back as "***", and a change that sends "***" back keeps the secret. The API
  manages the servers it created; those of the configuration file change in the file. Behind the front door each
  action needs its own scope: servers.read, servers.create, servers.update, servers.delete.

  Background:
    Given an upstream "weather" over Streamable HTTP with tools "echo"
    And an upstream "news" over Streamable HTTP with tools "whoami"

  @client-eras
  Scenario: An operator adds a server, and clients get its tools at once
    Given switchboard is running from a configuration file with the upstreams "weather"
    And a client is connected
    And the client sees exactly the tools "weather_echo"
    When the operator adds the server "news" with the header "Authorization" set to "Bearer news-api-key"
    Then the admin API answers 201
    And the client is told that the tool list changed
    And the client eventually sees the tool "news_whoami"
    And the upstream "news" received the Authorization header "Bearer news-api-key"

  @client-eras
  Scenario: Secrets are shown masked, and a change that sends the mask back keeps them
    Given switchboard is running from a configuration file with the upstreams "weather"
    And the operator added the server "news" with the header "Authorization" set to "Bearer news-api-key"
    When the operator reads the server "news"
    Then the admin API shows the header "Authorization" of "news" as "***"
    And no answer of the admin API contained "news-api-key"
    When the operator changes the server "news" to a timeout of 5000 ms, sending back what it read
    Then the admin API answers 200
    And a client is connected
    When the client calls "news_whoami"
    Then the result is "news"
    And the upstream "news" received the Authorization header "Bearer news-api-key"

  @client-eras
  Scenario: An operator deletes a server, and its tools go away
    Given switchboard is running from a configuration file with the upstreams "weather"
    And the operator added the server "news" with the header "Authorization" set to "Bearer news-api-key"
    And a client is connected
    And the client sees exactly the tools "weather_echo, news_whoami"
    When the operator deletes the server "news"
    Then the admin API answers 204
    And the client eventually no longer sees the tool "news_whoami"
    And the admin API lists the servers "weather"

  Scenario: A server of the configuration file is changed in the file, not through the API
    Given switchboard is running from a configuration file with the upstreams "weather"
    When the operator deletes the server "weather"
    Then the admin API answers 409 with an error mentioning "configuration file"
    And the admin API lists the servers "weather"

  Scenario Outline: A bad request is refused with a clear error, and changes nothing
    Given switchboard is running from a configuration file with the upstreams "weather"
    When the operator sends <request>
    Then the admin API answers <status> with an error mentioning "<words>"
    And the admin API lists the servers "weather"

    Examples:
      | request                                  | status | words                      |
      | a server with an unknown key "colour"    | 400    | unknown key               |
      | a server named "weather" again           | 409    | exists already             |
      | a server named "Not Allowed!"            | 400    | name                       |
      | a server whose timeoutMs is "soon"       | 400    | mcpServers.extra.timeoutMs |
      | a server that runs a command             | 400    | configuration file         |
      | a body of 100 kB                         | 413    | larger than                |
      | a server as plain text                   | 415    | application/json           |
      | a body that is not JSON                  | 400    | not valid JSON             |

  Scenario: Behind the front door, a read-only operator can list but not create
    Given an authorization server "idp"
    And switchboard is protected by "idp"
    And switchboard is running from a configuration file with the upstreams "weather"
    When "olga" with the scope "servers.read" lists the servers
    Then the admin API answers 200
    When "olga" with the scope "servers.read" adds the server "news"
    Then the admin API answers 403 with an error mentioning "servers.create"
    And the admin API lists the servers "weather"

  Scenario Outline: Behind the front door, each action needs its own scope
    Given an authorization server "idp"
    And switchboard is protected by "idp"
    And switchboard is running from a configuration file with the upstreams "weather"
    When "olga" with the scope "<scope>" <action>
    Then the admin API answers <status>

    Examples:
      | scope          | action                       | status |
      | servers.create | adds the server "news"       | 201    |
      | servers.update | adds the server "news"       | 403    |
      | mcp            | lists the servers            | 403    |
      | servers.delete | deletes the server "weather" | 409    |
      | servers.read   | deletes the server "weather" | 403    |

  Scenario: Without a token, the admin API behind the front door is refused
    Given an authorization server "idp"
    And switchboard is protected by "idp"
    And switchboard is running from a configuration file with the upstreams "weather"
    When the operator lists the servers
    Then the admin API answers 401
