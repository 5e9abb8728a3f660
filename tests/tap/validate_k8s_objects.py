#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Checks Kubernetes objects (JSON list on stdin) against python3-kubernetes' generated models.

Strict: every field must exist in the API schema with the right type, and the models' own
client-side validation (required fields, enums) must accept it. Prints one problem per line and
exits 1 when there is any.
"""
import json
import re
import sys

from kubernetes import client

problems = []


def check(value, type_name, where):
    if value is None:
        return
    m = re.match(r"list\[(.*)\]$", type_name)
    if m:
        if not isinstance(value, list):
            problems.append(f"{where}: expected a list, got {type(value).__name__}")
            return
        for i, item in enumerate(value):
            check(item, m.group(1), f"{where}[{i}]")
        return
    m = re.match(r"dict\(([^,]*), (.*)\)$", type_name)
    if m:
        if not isinstance(value, dict):
            problems.append(f"{where}: expected a map, got {type(value).__name__}")
            return
        for k, v in value.items():
            check(v, m.group(2), f"{where}.{k}")
        return
    scalar = {"str": str, "int": int, "bool": bool, "float": (int, float)}
    if type_name in scalar:
        if type_name == "int" and isinstance(value, bool) or not isinstance(value, scalar[type_name]):
            problems.append(f"{where}: expected {type_name}, got {json.dumps(value)}")
        return
    if type_name == "object":
        return
    model = getattr(client, type_name, None)
    if model is None:
        problems.append(f"{where}: unknown type {type_name}")
        return
    if not isinstance(value, dict):
        problems.append(f"{where}: expected a {type_name} object, got {type(value).__name__}")
        return
    by_json = {json_name: attr for attr, json_name in model.attribute_map.items()}
    for key, item in value.items():
        if key not in by_json:
            problems.append(f"{where}.{key}: unknown field in {type_name}")
            continue
        check(item, model.openapi_types[by_json[key]], f"{where}.{key}")


def main():
    objects = json.load(sys.stdin)
    api = client.ApiClient()
    for i, obj in enumerate(objects):
        kind = obj.get("kind", "")
        type_name = f"V1{kind}"
        where = f"object {i} ({kind} {obj.get('metadata', {}).get('name', '?')})"
        check(obj, type_name, where)
        try:
            api._ApiClient__deserialize(obj, type_name)
        except Exception as e:  # the models raise ValueError for missing required fields
            problems.append(f"{where}: {e}")
    for p in problems:
        print(p)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
