@client-eras
Feature: Who sees which server
  Behind the front door each server is public (everyone sees it), for some teams (the members of the teams it lists,
  as the identity provider's teams claim names them), or private (only the owners it lists). A user who may not see
  a server does not learn that it exists: its tools, prompts, resources, templates and sign-in tool are never listed,
  the sign-in status does not mention it, and asking for one of its names is answered exactly as for a name that
  nobody has. Such a refusal is recorded in the audit trail. Without the front door every server is public.

  Background:
    Given an authorization server "idp"
    And switchboard is protected by "idp", which lists a user's teams in the claim "groups"
    And an upstream "weather" over Streamable HTTP with tools "echo"
    And an upstream "payments" over Streamable HTTP with tools "echo, whoami"
    And the upstream "payments" has a prompt "refund"
    And the upstream "payments" has a resource "file:///ledger.txt" with text "the ledger"
    And the server "payments" is visible to the team "finance" only
    And "alice" is a member of the team "finance"
    And "bob" is a member of the team "support"

  Scenario: A member of the team sees the team's server and uses it
    Given switchboard is running
    And client "alice" is connected as "alice"
    Then client "alice" sees the tool "payments_echo"
    And client "alice" sees the tool "weather_echo"
    And client "alice" sees the server "payments" in its prompts and resources
    When client "alice" calls "payments_echo" with text "for finance"
    Then client "alice" gets a result mentioning "for finance"

  Scenario: Someone outside the team sees nothing of the server
    Given switchboard is running
    And client "bob" is connected as "bob"
    Then client "bob" sees exactly the tools "weather_echo"
    And client "bob" sees nothing of the server "payments"

  Scenario: Someone outside the team who asks for the server's names gets the answer for an unknown name
    Given switchboard is running
    And client "bob" is connected as "bob"
    Then for client "bob", the tool "payments_echo" is refused exactly like a tool nobody has
    And for client "bob", the prompt "payments_refund" is refused exactly like a prompt nobody has
    And for client "bob", the resource "payments+file:///ledger.txt" is refused exactly like a resource nobody has
    And for client "bob", completing the prompt "payments_refund" is answered exactly like for a prompt nobody has
    And for client "bob", the tool "authenticate_payments" is refused exactly like a tool nobody has
    And the upstream "payments" received 0 calls to "echo"
    And the audit trail records that "bob" was denied the tool "payments_echo" of a server not visible to them

  Scenario: A private server is seen by its owners only
    Given an upstream "vault" over Streamable HTTP with tools "echo"
    And the server "vault" is private to "carol"
    And switchboard is running
    And client "carol" is connected as "carol"
    And client "alice" is connected as "alice"
    Then client "carol" sees the tool "vault_echo"
    And client "alice" does not see the tool "vault_echo"
    And client "alice" sees nothing of the server "vault"

  Scenario: A user who joins the team sees its server from their next connection on
    Given switchboard is running
    And client "bob" is connected as "bob"
    And client "bob" sees exactly the tools "weather_echo"
    When "bob" joins the team "finance"
    And client "bob again" is connected as "bob"
    Then client "bob again" sees the tool "payments_echo"

  @legacy-only
  Scenario: A 2025-11-25 session keeps the teams of the user who opened it
    Given switchboard is running
    And client "bob" is connected as "bob"
    When "bob" joins the team "finance" and client "bob"'s token is refreshed
    Then client "bob" sees exactly the tools "weather_echo"

  @modern-only
  Scenario: A 2026-07-28 request is served with the teams its token lists
    Given switchboard is running
    And client "bob" is connected as "bob"
    And client "bob" sees exactly the tools "weather_echo"
    When "bob" joins the team "finance" and client "bob"'s token is refreshed
    Then client "bob" sees the tool "payments_echo"

  Scenario: Without the front door every server is public
    Given switchboard has no front door
    And switchboard is running
    And a client is connected
    Then the client sees the tool "payments_echo"

  Scenario: The sign-in of a team's server is offered to the team only
    Given an authorization server "corp"
    And a protected server "jira" behind "corp"
    And the server "jira" is visible to the team "finance" only
    And switchboard is running
    And client "alice" is connected as "alice"
    And client "bob" is connected as "bob"
    Then client "alice" sees the tool "authenticate_jira"
    And client "bob" sees nothing of the server "jira"
    When client "alice" signs in to "jira" as "alice"
    Then client "alice" sees the tool "jira_whoami"
    And client "bob" sees nothing of the server "jira"
