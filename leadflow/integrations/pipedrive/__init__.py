"""Pipedrive as a CRM target: conversion (target.py), won deals by webhook and poll (deals.py). docs/pipedrive.md."""
