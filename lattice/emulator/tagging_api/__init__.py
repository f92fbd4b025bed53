"""The Resource Groups Tagging API (GetResources, TagResources, UntagResources) on the emulator's port.

The controller finds its Lattice resources at start-up with one paged
GetResources query instead of a ListTagsForResource per resource; serving it
here lets that path run against the emulator too. It reads the same partitions
as the Lattice API (account from the access key, region from the credential
scope) and is counted and fault-injected under the operation name `GetResources`.

    model.py          the botocore service model; which operations are served
    errors.py         JSON 1.1 errors, and the Lattice-to-Tagging error names
    get_resources.py  GetResources: filters, pages, tokens
    tag_resources.py  TagResources / UntagResources: per-ARN Lattice tagging, failures per ARN
    service.py        the handlers wired into the JSON front end (SERVICE)

The request pipeline (`POST /` + `X-Amz-Target`) is ../json_front.py, shared with acm_api/.
"""
