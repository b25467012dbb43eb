"""Prints the traces of python-errors.txt: logging.exception of a chained error, then an uncaught one."""
import logging

logging.basicConfig(format="%(asctime)s %(levelname)s %(name)s: %(message)s")
log = logging.getLogger("worker")


def parse(text):
    return int(text)


def load(text):
    try:
        return parse(text)
    except ValueError as error:
        raise RuntimeError("config value is broken") from error


log.warning("starting")
try:
    {}["missing"]
except KeyError:
    try:
        load("x1")
    except RuntimeError:
        log.exception("load failed")
log.warning("still running")
load("x2")
