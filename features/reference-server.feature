Feature: In front of the official reference server
  The MCP project's reference server, "everything" (@modelcontextprotocol/server-everything on npm), exercises every
  part of the protocol: tools with every kind of result, prompts, resources and resource templates, completions,
  progress, logging, subscriptions, sampling, elicitation, roots and tasks. Behind switchboard all of it reaches the
  client under the server's name: tools and prompts as "everything_<name>", resources as "everything+<uri>".

  Rule: What the server offers is offered, under its name

    Scenario Outline: Its tools are offered over <transport>, and answer
      Given the reference server "everything" over <transport>
      And switchboard is running
      And a client is connected
      Then the client is offered every tool of the reference server "everything" under its name, except those that can only run as tasks
      When the client calls "everything_echo" with message "hello"
      Then the result is "Echo: hello"

      Examples:
        | transport       |
        | stdio           |
        | Streamable HTTP |
        | SSE             |

    Scenario: Its prompts, resources and resource templates are offered, and answer
      Given the reference server "everything" over Streamable HTTP
      And switchboard is running
      And a client is connected
      Then the client is offered every prompt of the reference server "everything" under its name
      And the client is offered every resource and resource template of the reference server "everything" under its name
      When the client gets the prompt "everything_args-prompt" with city "Lisbon"
      Then the prompt text mentions "Lisbon"
      When the client reads the resource "everything+demo://resource/static/document/features.md"
      Then the resource text mentions "Everything Server - Features"
      When the client asks how to complete the department "E" of the prompt "everything_completable-prompt"
      Then the client is offered the completion "Engineering"

  Rule: Calls work as they do on the server itself

    Scenario: Results of every kind arrive intact
      Given the reference server "everything" over stdio
      And switchboard is running
      And a client is connected
      When the client calls "everything_get-sum" with:
        | a | 2 |
        | b | 3 |
      Then the result is "The sum of 2 and 3 is 5."
      When the client calls "everything_get-structured-content" with location "New York"
      Then the result carries structured content, repeated as its text
      When the client calls "everything_get-tiny-image"
      Then the result holds a PNG image

    Scenario: The progress of a long operation reaches the client, step by step
      Given the reference server "everything" over Streamable HTTP
      And switchboard is running
      And a client is connected
      When the client runs "everything_trigger-long-running-operation" in 3 steps, following its progress
      Then the client was told of progress 1, 2 and 3 out of 3
      And the result mentions "Long running operation completed"

    Scenario: The server's requests reach the client: sampling
      Given the reference server "everything" over stdio
      And switchboard is running
      And a client that can sample, answering "A haiku, sampled", is connected
      When the client calls "everything_trigger-sampling-request" with prompt "Write a haiku"
      Then the client was asked to sample a message mentioning "Write a haiku"
      And the result mentions "A haiku, sampled"

    Scenario: The server's requests reach the client: elicitation
      Given the reference server "everything" over stdio
      And switchboard is running
      And a client that can ask its user questions is connected
      When the client calls "everything_trigger-elicitation-request"
      Then the client was asked "Please provide inputs for the following fields:"
      And the result mentions "User provided the requested information"

    Scenario: The server's requests reach the client: roots
      Given the reference server "everything" over stdio
      And switchboard is running
      And a client with the root "file:///work/project" is connected
      When the client calls "everything_get-roots-list"
      Then the result mentions "file:///work/project"

    Scenario: Logs and updates of subscribed resources reach the client
      Given the reference server "everything" over stdio
      And switchboard is running
      And a client is connected
      When the client subscribes to the resource "everything+demo://resource/dynamic/text/1"
      And the client calls "everything_toggle-subscriber-updates"
      And the client calls "everything_toggle-simulated-logging"
      Then the client is told that the resource "everything+demo://resource/dynamic/text/1" was updated
      And the client receives log messages from "everything"

  Rule: Resources that results point at can be read back through switchboard
    A tool may link to resources, or embed them, by URI, and so may the messages of a prompt; the client reads them
    back through switchboard, so a URI in a result names the resource as switchboard offers it (MCP 2025-11-25
    server/tools, "Resource Links" and "Embedded Resources"; server/prompts, "Embedded Resources"). Such a resource need
    not be listed.

    Scenario: A link to a resource made from a template can be read back
      Given the reference server "everything" over stdio
      And switchboard is running
      And a client is connected
      When the client calls "everything_get-resource-links" with:
        | count | 2 |
      Then the result links to "everything+demo://resource/dynamic/blob/1, everything+demo://resource/dynamic/text/2"
      And every resource the result links to can be read through switchboard

    Scenario: Links to a resource that two servers share each lead back to their own server
      Given the reference servers "everything" and "mirror" over stdio
      And switchboard is running
      And a client is connected
      When the client calls "everything_gzip-file-as-resource" with:
        | name | notes.gz              |
        | data | data:text/plain,alpha |
      Then the result links to "everything+demo://resource/session/notes.gz"
      When the client calls "mirror_gzip-file-as-resource" with:
        | name | notes.gz             |
        | data | data:text/plain,beta |
      Then the result links to "mirror+demo://resource/session/notes.gz"
      And the resource "everything+demo://resource/session/notes.gz" unzips to "alpha"
      And the resource "mirror+demo://resource/session/notes.gz" unzips to "beta"

    Scenario: An embedded resource names a URI that can be read back
      Given the reference server "everything" over stdio
      And switchboard is running
      And a client is connected
      When the client calls "everything_get-resource-reference" with:
        | resourceType | Text |
        | resourceId   | 4    |
      Then the result embeds the resource "everything+demo://resource/dynamic/text/4"
      When the client reads the resource "everything+demo://resource/dynamic/text/4"
      Then the resource text mentions "Resource 4"

    @client-eras
    Scenario: A resource that a prompt embeds can be read back
      Given the reference server "everything" over stdio
      And switchboard is running
      And a client is connected
      When the client gets the prompt "everything_resource-prompt" with:
        | resourceType | Text |
        | resourceId   | 3    |
      Then the prompt embeds the resource "everything+demo://resource/dynamic/text/3"
      When the client reads the resource "everything+demo://resource/dynamic/text/3"
      Then the resource text mentions "Resource 3"

  Rule: What is refused is said once
    A tool, prompt or resource that no server offers is refused by switchboard itself with a protocol error, invalid
    params (MCP 2025-11-25 server/tools, server/prompts and server/resources, "Error Handling"); what a server refuses
    reaches the client in the server's words. The error's code travels beside its message (JSON-RPC 2.0, section 5.1):
    the client shows the code once, and the message says only what went wrong.

    @client-eras
    Scenario: A tool, a prompt or a resource that nobody offers is refused, naming what was asked for
      Given the reference server "everything" over stdio
      And switchboard is running
      And a client is connected
      When the client calls "everything_no-such-tool"
      Then the call is refused as invalid: 'unknown tool "everything_no-such-tool"'
      When the client asks for the prompt "everything_no-such-prompt"
      Then the request is refused as invalid: 'unknown prompt "everything_no-such-prompt"'
      When the client asks to read the resource "nobody://no-such-resource"
      Then the request is refused as invalid: 'unknown resource "nobody://no-such-resource"'
      When the client asks to read the resource "everything+demo://resource/no-such-resource"
      Then the request is refused as invalid: "Resource demo://resource/no-such-resource not found"

  Rule: A tool that can only run as a task is not offered until switchboard relays tasks
    A tool listed with taskSupport "required" must be called as a task, and its server refuses a plain call (MCP
    2025-11-25 basic/utilities/tasks, "Tool-Level Negotiation"). switchboard does not relay tasks yet, so such a tool
    could never be called through it: it is left out, and switchboard says so in its log. A tool that may run as a task
    is called as a plain request.

    Scenario: The research tool, which must run as a task, is left out with a warning
      Given the reference server "everything" over stdio
      And switchboard is running
      And a client is connected
      Then the client does not see the tool "everything_simulate-research-query"
      But the client sees the tool "everything_echo"
      And switchboard warned once that the tool "simulate-research-query" of "everything" can only run as a task

    Scenario: A tool that may run as a task is offered and answers a plain call
      Given an upstream "jobs" over Streamable HTTP with a tool "export" that may run as a task
      And switchboard is running
      And a client is connected
      Then the client sees the tool "jobs_export"
      When the client calls "jobs_export" with quarter "q3"
      Then the result mentions "q3"
