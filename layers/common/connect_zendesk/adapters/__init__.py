"""Adapters to external systems; the only modules that import boto3 or zenpy."""
