"""Test harness: a real kube-apiserver + etcd on loopback (see kube.py)."""
