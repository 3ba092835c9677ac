"""The process that a sandbox container runs: one Jupyter kernel, one execution, then exit.

Start-up (`python3 -m sandbox_server`): import ipykernel and the sandbox's library stack,
fork the IPython kernel from this interpreter (kernel.py), draw once with the library in it
(matplotlib inline, seaborn, plotly with a warm kaleido; plotly's renderer is left as a
fresh kernel has it), wipe the user namespace, and only then open the HTTP server on a
unix socket in the bind-mounted directory. The socket's appearance is the readiness signal
the host waits for.

Requests: `GET /healthz` any number of times, then exactly one `POST /execute`, whose reply
is the execution result as JSON; the server then exits and the container ends. The
request's `capture` says which PNGs count (protocol.Capture).

Nothing here is trusted by the host: the model's code runs as the same user and could
replace this reply. The host enforces time and memory from outside, reads the container's
fate from Docker, and re-validates every PNG (see SECURITY.md).
"""
