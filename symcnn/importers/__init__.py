"""Importers: a framework's model in, DSL text out (never a Network: the text is what a user keeps).

`pytorch` traces an nn.Module with torch.fx; `writer` turns any importer's
structure into idiomatic text with blocks; `spec` finds the model a command
line names. Only `pytorch` imports torch, and nothing imports it unless asked.
"""
