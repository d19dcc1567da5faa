"""Deterministic demo data: two shops, their support team, customers with orders, and two
months of conversations in English, Croatian and Chinese.

:mod:`storedesk.demo.plan` computes everything in memory from a seed and a point in time;
:mod:`storedesk.demo.loader` writes that plan to the database.
"""
