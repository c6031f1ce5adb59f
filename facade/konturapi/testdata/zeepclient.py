"""Independent-client check of the Kontur service with Debian's python3-zeep: loads the WSDL
from the running hub with Basic auth (a Cyrillic user name, UTF-8), calls every operation through
the SOAP 1.1 and the SOAP 1.2 port — the front desk's flow of a bonus write-off — parses the
faults, and prints JSON for the Go test.

Usage: /usr/bin/python3 zeepclient.py BASE_URL USER PASSWORD CARD
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
    if isinstance(v, datetime.datetime):
        return v.isoformat()
    if isinstance(v, decimal.Decimal):
        return str(v)
    return v


def items(v):
    """zeep flattens a list wrapper (one unbounded item element) into a Python list."""
    if v is None:
        return []
    return v if isinstance(v, list) else (v.Item or [])


def fault(call):
    try:
        call()
        return {"error": "no fault"}
    except Fault as f:
        err = f.detail.find(HUB + "Error") if f.detail is not None else None
        return {
            "code": f.code, "message": f.message,
            "detailCode": err.findtext(HUB + "Code") if err is not None else None,
        }


def run(base, session, v12, card):
    tag = "zeep-12" if v12 else "zeep-11"
    client = Client(base + "/ws/Kontur?wsdl", transport=Transport(session=session))
    k = client.bind("Kontur", "KonturSoap12" if v12 else "KonturSoap")
    out = {}
    out["currencies"] = ",".join("%s:%d" % (c.Code, c.Scale) for c in items(k.GetCurrencies()))
    saved = k.SavePaymentType(Code=tag, Description="Баллы " + tag, Currency="BONUS",
                              MaxPercent=decimal.Decimal("50"), Enabled=True)
    out["saved"] = {"Kind": saved.Kind, "MaxPercent": text(saved.MaxPercent), "Description": saved.Description}
    ref = saved.Ref
    out["typeListed"] = any(t.Ref == ref for t in items(k.GetPaymentTypes()))
    b = k.GetCardBalance(CardNumber=card)
    out["balance"] = {"CardMasked": b.CardMasked,
                      "BONUS": next(text(x.Amount) for x in items(b.Balances) if x.Currency == "BONUS")}
    folio = "F-" + tag
    z = k.GetAvailable(FolioId=folio, Saldo=decimal.Decimal("0"), PaymentType=ref, CardNumber=card)
    out["availableZero"] = {"Amount": text(z.Amount), "ReasonCode": z.ReasonCode}
    a = k.GetAvailable(FolioId=folio, Saldo=decimal.Decimal("-1000.00"), PaymentType=ref, CardNumber=card)
    out["available"] = {"Amount": text(a.Amount), "Currency": a.Currency, "Limit": text(a.Limit)}
    out["refused"] = fault(lambda: k.WriteOff(RequestId=tag + "-big", FolioId=folio, CardNumber=card, PaymentType=ref,
                                              Amount=decimal.Decimal("501"), Saldo=decimal.Decimal("-1000.00")))
    w = k.WriteOff(RequestId=tag, FolioId=folio, CardNumber=card, PaymentType=ref,
                   Amount=decimal.Decimal("500"), Saldo=decimal.Decimal("-1000.00"))
    out["writeOff"] = {"State": w.State, "StateName": w.StateName, "Posted": w.Posted, "Title": w.Payment.Title,
                       "Amount": text(w.Payment.Amount), "Currency": w.Payment.Currency,
                       "OperationId": w.Payment.OperationId, "Time": text(w.Payment.Time)}
    again = k.WriteOff(RequestId=tag, FolioId=folio, CardNumber=card, PaymentType=ref,
                       Amount=decimal.Decimal("500"), Saldo=decimal.Decimal("-1000.00"))
    out["repeatSame"] = again.OperationId == w.OperationId
    g = k.GetWriteOff(RequestId=tag)
    out["get"] = {"State": g.State, "FolioId": g.FolioId, "PaymentAmount": text(g.Payment.Amount)}
    c = k.Cancel(RequestId=tag)
    out["cancel"] = {"State": c.State, "Cancelled": c.Payment.Cancelled}
    return out


def main():
    base, user, password, card = sys.argv[1:5]
    session = Session()
    session.auth = HTTPBasicAuth(user.encode("utf-8"), password.encode("utf-8"))
    res = {v: run(base, session, v == "soap12", card) for v in ("soap11", "soap12")}
    print(json.dumps(res, ensure_ascii=False))


if __name__ == "__main__":
    main()
