"""Independent-client check with Debian's python3-zeep: loads each service's WSDL from the
running facade with Basic auth (a Cyrillic user name, UTF-8), calls every operation through
both bindings, parses a fault, and prints the results as JSON for the Go test to check.

Usage: /usr/bin/python3 zeepclient.py BASE_URL USER PASSWORD
"""
import datetime
import decimal
import json
import sys

from requests import Session
from requests.auth import HTTPBasicAuth
from zeep import Client
from zeep.exceptions import Fault
from zeep.transports import Transport

HUB = "{http://stykovka.ru/hub}"


def text(v):
    if isinstance(v, (decimal.Decimal, datetime.datetime)):
        return str(v) if isinstance(v, decimal.Decimal) else v.isoformat()
    if isinstance(v, bytes):
        return list(v)
    return v


def items(v):
    """zeep flattens a list wrapper (one unbounded item element) into a Python list."""
    if v is None:
        return []
    return v if isinstance(v, list) else v.Item


def record(r):
    return {k: text(r[k]) for k in ("Text", "Amount", "When", "Flag", "Count", "Data", "Note", "Total")} | {
        "Lines": [{"Name": i.Name, "Amount": text(i.Amount)} for i in items(r.Lines)]
    }


def run(base, session, v12):
    out = {}
    hub = Client(base + "/ws/Hub?wsdl", transport=Transport(session=session))
    probe = Client(base + "/ws/Probe.1cws?wsdl", transport=Transport(session=session))
    h = hub.bind("Hub", "HubSoap12" if v12 else "HubSoap")
    p = probe.bind("Probe", "ProbeSoap12" if v12 else "ProbeSoap")
    out["ping"] = h.Ping()
    out["versions"] = [{"Service": i.Service, "Version": i.Version} for i in items(h.GetVersions())]
    echo = p.Echo(Record={
        "Text": "Счёт <1> & «2»", "Amount": decimal.Decimal("0.1"),
        "When": datetime.datetime(2025, 3, 1, 23, 30), "Flag": False, "Count": 0, "Data": b"\x00\x01\x02",
        "Lines": {"Item": [{"Name": "a", "Amount": decimal.Decimal("0.2")},
                           {"Name": "", "Amount": decimal.Decimal("1234.50")}]},
        "Total": decimal.Decimal("0"),
    })
    out["echo"] = {"record": record(echo["return"]), "lineCount": echo["LineCount"]}
    z = p.Zeroes()
    out["zeroes"] = {"record": record(z["return"]), "stamp": text(z["Stamp"])}
    try:
        p.Fail(Kind="invalid")
        out["fault"] = {"error": "no fault"}
    except Fault as f:
        err = f.detail.find(HUB + "Error") if f.detail is not None else None
        out["fault"] = {
            "code": f.code, "message": f.message,
            "detailCode": err.findtext(HUB + "Code") if err is not None else None,
            "detailMessage": err.findtext(HUB + "Message") if err is not None else None,
        }
    return out


def main():
    base, user, password = sys.argv[1:4]
    session = Session()
    # bytes, so that requests sends the Cyrillic name as UTF-8 rather than failing on latin-1
    session.auth = HTTPBasicAuth(user.encode("utf-8"), password.encode("utf-8"))
    print(json.dumps({"soap11": run(base, session, False), "soap12": run(base, session, True)}, ensure_ascii=False))


if __name__ == "__main__":
    main()
