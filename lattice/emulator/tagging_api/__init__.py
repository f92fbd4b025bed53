"""The Resource Groups Tagging API (`tag:GetResources`) on the emulator's port.

The controller finds its Lattice resources at start-up with one paged
GetResources query instead of a ListTagsForResource per resource; serving it
here lets that path run against the emulator too. It reads the same partitions
as the Lattice API (account from the access key, region from the credential
scope) and is counted and fault-injected under the operation name `GetResources`.

    model.py          the botocore service model; which operations are served
    errors.py         JSON 1.1 errors, and the Lattice-to-Tagging error names
    front.py          the request pipeline for `POST /` + `X-Amz-Target`
    get_resources.py  the operation itself: filters, pages, tokens
"""
