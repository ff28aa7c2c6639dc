"""The route documents (BPMN), their forms (JSON Schema) and the council rules as decision tables (DMN).

A package only so that they ship as package data: ``importlib.resources.files("bpmn")`` finds them in
an editable checkout and in an installed wheel alike. Nothing here is code.
"""
