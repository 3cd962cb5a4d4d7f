@client-eras
Feature: Web apps call switchboard from the browser
  A web page can be an MCP client too. switchboard answers the browser's CORS checks for the origins it allows
  (`http.allowedOrigins`, the public URL's origin, and its own on a loopback bind): the preflight a browser sends
  before a request with a token or an MCP header is answered before the front door, since a preflight never carries
  a token, and answers expose what a client must read (`Mcp-Session-Id`, `MCP-Protocol-Version`, and the
  `WWW-Authenticate` challenge of a 401). Pages from any other origin are refused, and the browser gives them nothing.
  These run in Chromium, whose CORS checks are the ones that count.

  Background:
    Given an authorization server "idp"
    And an upstream "weather" over Streamable HTTP with tools "echo"

  Scenario: A web app on an allowed origin calls switchboard with its token
    Given a web app whose origin switchboard allows
    And switchboard is protected by "idp"
    And switchboard is running
    When the web app calls switchboard from the browser with the token of "alice"
    Then the web app reads the answer

  Scenario: A web app without a token reads the challenge that sends it to sign in
    Given a web app whose origin switchboard allows
    And switchboard is protected by "idp"
    And switchboard is running
    When the web app calls switchboard from the browser
    Then the web app reads the 401 and its challenge, which says where to sign in

  Scenario: A web app on an origin switchboard does not allow gets nothing, even with a token
    Given a web app on an origin switchboard does not allow
    And switchboard is protected by "idp"
    And switchboard is running
    When the web app calls switchboard from the browser with the token of "alice"
    Then the browser gives the web app nothing to read
