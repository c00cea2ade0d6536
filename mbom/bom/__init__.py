"""CycloneDX BOMs: building, validating and reading them.

Submodules are imported explicitly (``mbom.bom.validate``, ``mbom.bom.read``) so that importing
this package stays cheap: the schema validator pulls in jsonschema, which costs about a second.
"""
