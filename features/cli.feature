Feature: Starting switchboard from the command line
  `switchboard serve --config <file>` reads a YAML or JSON file with an `mcpServers` block. A configuration that
  cannot be used stops start-up with a message that names the file, the key and what was expected. With `--stdio`,
  switchboard serves one session over stdin and stdout, for IDEs that launch MCP servers as commands; its logs then
  go to stderr, because stdout carries the protocol.

  Background:
    Given the configuration file "switchboard.yaml":
      """yaml
      mcpServers:
        weather:
          url: ${WEATHER_URL}
      http:
        port: 0
      """

  Scenario Outline: A value of the wrong kind stops start-up: <key>
    Given the configuration file "switchboard.yaml" sets <key> to <value>
    When switchboard is started with "switchboard.yaml"
    Then start-up fails with an error naming "switchboard.yaml", "<key>" and "<expected>"

    Examples:
      | key                          | value     | expected              |
      | http.port                    | "eighty"  | expected number       |
      | mcpServers.weather.url       | "ftp://x" | expected an http(s) URL |
      | mcpServers.weather.timeoutMs | "soon"    | expected number       |
      | log.level                    | "loud"    | expected one of       |

  Scenario Outline: An unknown key stops start-up: <key>
    Given the configuration file "switchboard.yaml" sets <key> to 5000
    When switchboard is started with "switchboard.yaml"
    Then start-up fails with an error naming "switchboard.yaml", "<parent>" and "unknown key \"<unknown>\""

    Examples:
      | key                        | parent             | unknown |
      | mcpServers.weather.timeout | mcpServers.weather | timeout |
      | listen                     | (top level)        | listen  |

  Scenario: A configuration file that is not there stops start-up
    When switchboard is started with "missing.yaml"
    Then start-up fails with an error naming "missing.yaml", "missing.yaml" and "cannot read the file"

  Scenario: An IDE launches switchboard over stdio and uses the tools of an HTTP server
    Given an upstream "weather" over Streamable HTTP with tools "echo"
    And the environment variable "WEATHER_URL" holds the address of "weather"
    When an MCP client launches switchboard over stdio with "switchboard.yaml"
    Then the client sees exactly the tools "weather_echo"
    When the client calls "weather_echo" with text "over stdio"
    Then the result is "over stdio"
    And switchboard wrote its logs to stderr and nothing but the protocol to stdout

  # `npx switchboard` runs the published package: its compiled JavaScript and its production dependencies, nothing of
  # this checkout (no TypeScript, no dev dependencies). The package is packed with `npm pack` and installed with
  # `npm install` in an empty folder, as npx would install it from the registry.
  Scenario: The published package runs with npx as an IDE's stdio server
    Given an upstream "weather" over Streamable HTTP with tools "echo"
    And the environment variable "WEATHER_URL" holds the address of "weather"
    And switchboard's package is packed and installed in an empty folder
    When an MCP client launches "npx switchboard" over stdio with "switchboard.yaml" in that folder
    Then the client sees exactly the tools "weather_echo"
    When the client calls "weather_echo" with text "from the package"
    Then the result is "from the package"
    And switchboard wrote its logs to stderr and nothing but the protocol to stdout

  # In stdio mode the HTTP port serves only the OAuth callback. RFC 8252 section 7.3 lets a loopback redirect URI use
  # any port, so when the default port is taken (the demo, a second IDE window) switchboard takes a free one.
  Scenario: Over stdio, a taken default callback port is replaced by a free one, and signing in still works
    Given an authorization server "corp"
    And a protected server "jira" behind "corp"
    And the environment variable "JIRA_URL" holds the address of "jira"
    And the configuration file "ide.yaml":
      """yaml
      mcpServers:
        jira:
          url: ${JIRA_URL}
      """
    And another program listens on switchboard's default port
    When an MCP client launches switchboard over stdio with "ide.yaml"
    And the client signs in to "jira"
    Then the sign-in sent the browser back to switchboard on a free port instead of the default one
    And the client eventually sees the tool "jira_whoami"

  Scenario Outline: Over stdio, a callback port that was chosen with <how> and is taken stops start-up
    Given another program listens on a port
    When switchboard is started over stdio with "switchboard.yaml" and that port chosen with <how>
    Then start-up fails saying that the port is taken and how to choose another

    Examples:
      | how       |
      | --port    |
      | http.port |

  # The README's first command. The demo's mock servers use fixed ports (7400-7403); switchboard takes 8080, or a free
  # port when something else holds it.
  Scenario: The demo starts, also when switchboard's default port is taken, and serves its servers
    Given another program listens on switchboard's default port
    When the demo is started with npm start
    Then the demo prints an MCP endpoint that is not on the default port
    And the demo's switchboard is ready with the servers "weather, jira, wiki"
