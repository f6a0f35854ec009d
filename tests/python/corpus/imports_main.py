"""A __main__-style module for the import pass tests (tests/cpp/test_import_rewrite.cpp): each import
is named after what the pass must do with it. Compiled, never run."""
import sys
import json as deferred_json
import email.message
import email.policy
import xml.etree.ElementTree as deferred_et
from decimal import Decimal as deferred_decimal
from decimal import InvalidOperation as eager_except
from collections import OrderedDict as deferred_class, ChainMap as deferred_tuple_class
import colorsys as never_read
import logging as eager_table
import difflib as eager_pragma  # shrinkpy: eager
import fractions as eager_argument
import calendar as eager_identity
import statistics as eager_truth
import textwrap as eager_global
import heapq as eager_class_body
try:
    import zlib as eager_try
except ImportError:
    eager_try = None


def reads(x):
    deferred_json.dumps(x)
    message = email.message.EmailMessage(policy=email.policy.SMTP)
    root = deferred_et.fromstring("<a/>")
    try:
        value = deferred_decimal(x)
    except eager_except:
        value = None
    checks = isinstance(x, deferred_class), isinstance(x, (deferred_tuple_class, int))
    print(eager_argument, eager_identity is None, bool(eager_truth), eager_try)
    eager_table.getLogger(eager_pragma.ndiff, eager_global.dedent)
    return message, root, value, checks


def rebinds():
    global eager_global
    eager_global = None


class AtImport:
    push = eager_class_body.heappush


print(sys.argv)
