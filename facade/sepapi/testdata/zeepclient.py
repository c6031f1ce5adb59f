"""Independent-client check of the Sep service with Debian's python3-zeep: loads the WSDL from
the running hub with Basic auth (a Cyrillic user name, UTF-8), calls every operation through
the SOAP 1.1 and the SOAP 1.2 port, parses the faults, and prints JSON for the Go test.

Usage: /usr/bin/python3 zeepclient.py BASE_URL USER PASSWORD ARGS_JSON
ARGS_JSON names the objects the Go test prepared (organisation, references, numbers, codes).
"""
import base64
import datetime
import json
import sys

from requests import Session
from requests.auth import HTTPBasicAuth
from zeep import Client
from zeep.exceptions import Fault
from zeep.transports import Transport

HUB = "{http://stykovka.ru/hub}"


def text(v):
    return v.isoformat() if isinstance(v, datetime.datetime) else v


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


def entry(e):
    return {"Id": e.Id, "Status": e.Status, "StatusColor": e.StatusColor, "QueueId": e.QueueId,
            "Created": text(e.Created), "Applications": items(e.Applications)}


def run(base, session, v12, a):
    client = Client(base + "/ws/Sep?wsdl", transport=Transport(session=session))
    s = client.bind("Sep", "SepSoap12" if v12 else "SepSoap")
    org = a["organisation"]
    out = {}
    st = s.GetSettings()
    out["settings"] = {"Orgs": len(items(st.Organisations)), "TechMailbox": st.TechMailbox,
                       "SepResponsible": st.SepResponsible}
    saved = s.SaveSettings(Organisations={"Item": [{"INN": o.INN, "OGRN": o.OGRN, "Name": o.Name}
                                                   for o in items(st.Organisations)]},
                           SepResponsible=st.SepResponsible, TechMailbox=st.TechMailbox)
    out["saved"] = {"Orgs": len(items(saved.Organisations)), "TechMailbox": saved.TechMailbox}
    key = s.GetOrganisationKey(Organisation=org)
    out["keyLen"] = len(key)
    p = s.SavePerson(Ref=a["person"], Name="Иванов Иван Иванович", Email=a["personEmail"])
    out["person"] = {"Ref": p.Ref, "Email": p.Email}
    asset = s.SaveAsset(Ref=a["asset"], Code="ОС-0003", Name="SCANIA G410", VIN=a["vin"], EPTS=a["epts"],
                        Organisation=org, Responsible=None)
    out["asset"] = {"Ref": asset.Ref, "EPTS": asset.EPTS, "Responsible": asset.Responsible}
    out["badRef"] = fault(lambda: s.SaveAsset(Ref="asset-3", Name="x"))
    c = s.SaveLeaseContract(Ref=a["contract2"], Organisation=org, DocName="Приложение", DocNumber="ДЛ-2025/18",
                            DocDate=datetime.datetime(2025, 7, 7), LeaseEnd=datetime.datetime(2028, 7, 7),
                            LesseeINN=a["lesseeInn"], LesseeOGRN=None, LesseeName="ООО «Магистраль-Перевозки»",
                            LesseeEmail="fleet@magistral.example", Assets={"Item": [a["asset"]]})
    out["contract"] = {"Ref": c.Ref, "DocDate": text(c.DocDate), "LeaseEnd": text(c.LeaseEnd),
                       "Assets": items(c.Assets)}
    letters = items(s.GetLetters(ToProcess=False, Limit=100)["return"])
    out["letters"] = len(letters)
    rld = items(s.RequestLetterData(Organisation=org, Letters={"Item": [a["letter2"]]}, RequestId="zeep-rld-1"))
    out["letterData"] = [entry(e) for e in rld]
    ra = s.RequestApplications(Organisation=org, From=datetime.datetime(2025, 7, 1), To=datetime.datetime(2025, 7, 31),
                               RequestId="zeep-ra-1")
    out["period"] = {"Subject": ra.Subject, "Status": ra.Status}
    own = s.GetOwnershipChanges(Responsible=None, Asset=None, VIN=None, EPTS=a["epts2"], Cursor=None, Limit=10)
    rows = items(own["return"])
    out["ownership"] = [{"Number": r.Number, "Code": r.Code, "CurrentOwner": r.CurrentOwner.INN, "NewOwner": r.NewOwner.INN,
                         "NewOwnerStatus": r.NewOwner.Status, "Vehicles": len(items(r.Vehicles))} for r in rows]
    out["ownershipNext"] = own["Next"]
    app = s.GetApplication(Number=a["number2"])
    out["application"] = {"Type": app.Type, "Status": app.Status, "Parties": len(items(app.Parties)),
                          "Created": text(app.Created)}
    out["unknownApp"] = fault(lambda: s.GetApplication(Number="НЕТ-1"))
    conf = s.ConfirmOwnership(Number=a["number2"], Status="Confirmed", Code=None, RequestId="zeep-conf-2")
    out["confirm"] = entry(conf)
    rf = items(s.RefreshApplications(Numbers={"Item": [a["number2"]]}, Organisation=None, RequestId="zeep-rf-1"))
    out["refresh"] = [entry(e) for e in rf]
    cands = items(s.GetLeaseCandidates(Organisation=org, From=datetime.datetime(2025, 7, 1),
                                       To=datetime.datetime(2025, 7, 31))["return"])
    out["candidates"] = [{"Contract": x.Contract, "Ready": x.Ready, "Lease": x.Lease,
                          "AssetStatus": items(x.Assets)[0].Status if items(x.Assets) else None} for x in cands]
    lease = s.SendLease(Contract=a["contract1"], LessorStatus="Confirmed", LesseeStatus="NotApplicable",
                        Deadline=datetime.datetime(2025, 7, 21), UseTechMailbox=True, RequestId=a["leaseRequest"])
    out["lease"] = {"Id": lease.Id, "Number": lease.Number, "Status": lease.Status, "Deadline": text(lease.Deadline),
                    "UseTechMailbox": lease.UseTechMailbox, "Vehicles": len(items(lease.Vehicles))}
    cl = s.ConfirmLease(Lease=a["lease"], LesseeStatus="Confirmed", Code=a["leaseCode"], RequestId="zeep-cl-1")
    out["confirmLease"] = {"RequestStatus": cl.RequestStatus, "RequestStatusColor": cl.RequestStatusColor}
    q = s.GetQueue(WaitingOnly=True, Cursor=None, Limit=100)
    out["waiting"] = len(items(q["return"]))
    one = s.GetQueueEntry(Id=a["entry"])
    out["entry"] = entry(one)
    n = s.GetCounts()
    out["counts"] = {"Letters": n.Letters, "Waiting": n.Waiting, "Ready": n.Ready, "Ownership": n.Ownership,
                     "Leases": n.Leases, "Capped": n.Capped}
    r = s.PollNow()
    out["poll"] = {"Due": r.Due, "Worked": r.Worked}
    notes = items(s.GetNotifications(Person=a["person"], Cursor=None, Limit=None)["return"])
    out["notifications"] = len(notes)
    out["notification0"] = {"Asset": notes[0].Asset, "Emailed": notes[0].Emailed} if notes else None
    return out


def main():
    base, user, password, args = sys.argv[1:5]
    a = json.loads(args)
    session = Session()
    session.auth = HTTPBasicAuth(user.encode("utf-8"), password.encode("utf-8"))
    res = {v: run(base, session, v == "soap12", a) for v in ("soap11", "soap12")}
    print(json.dumps(res, ensure_ascii=False))


if __name__ == "__main__":
    main()
