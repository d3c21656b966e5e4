"""The inspect page: what the client can read, what it sends, and what the server keeps."""
