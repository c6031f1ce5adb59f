package sepsim

import "strings"

// Namespaces of the simulated protocol. The real АС «СЭП» contract is not public; these name
// the simulated one, and the hub's adapter (internal/sep/sepsoap) is the only code that must
// change when the real one is plugged in.
const (
	// NS is the namespace of the SOAP operations.
	NS = "urn:sep-sim:v1"
	// DataNS is the namespace of the signed payload documents and of result documents.
	DataNS = "urn:sep-sim:v1:data"
	// Path is where the service and its WSDL (Path?wsdl) are served.
	Path = "/sep"
)

// wsdl is the service contract, SOAP 1.1 document/literal wrapped. Payload and Result are
// XML documents of DataNS carried as base64Binary, so that the detached signature covers
// the exact bytes SEP reads.
const wsdl = `<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="http://schemas.xmlsoap.org/wsdl/"
	xmlns:soap="http://schemas.xmlsoap.org/wsdl/soap/"
	xmlns:xs="http://www.w3.org/2001/XMLSchema"
	xmlns:tns="urn:sep-sim:v1"
	name="Sep" targetNamespace="urn:sep-sim:v1">
	<types>
		<xs:schema targetNamespace="urn:sep-sim:v1" elementFormDefault="qualified">
			<xs:simpleType name="RequestType">
				<xs:restriction base="xs:string">
					<xs:enumeration value="GetApplications"/>
					<xs:enumeration value="GetApplication"/>
					<xs:enumeration value="ConfirmApplication"/>
					<xs:enumeration value="CreateLeaseApplication"/>
				</xs:restriction>
			</xs:simpleType>
			<xs:simpleType name="ResultState">
				<xs:restriction base="xs:string">
					<xs:enumeration value="TooEarly"/>
					<xs:enumeration value="InProcess"/>
					<xs:enumeration value="Completed"/>
					<xs:enumeration value="Rejected"/>
				</xs:restriction>
			</xs:simpleType>
			<xs:complexType name="Error">
				<xs:sequence>
					<xs:element name="Code" type="xs:string"/>
					<xs:element name="Message" type="xs:string"/>
				</xs:sequence>
			</xs:complexType>
			<xs:complexType name="ErrorList">
				<xs:sequence>
					<xs:element name="Error" type="tns:Error" minOccurs="0" maxOccurs="unbounded"/>
				</xs:sequence>
			</xs:complexType>
			<xs:element name="SendRequest">
				<xs:complexType>
					<xs:sequence>
						<xs:element name="RequestType" type="tns:RequestType"/>
						<xs:element name="ClientRequestId" type="xs:string"/>
						<xs:element name="SenderInn" type="xs:string"/>
						<xs:element name="SenderOgrn" type="xs:string"/>
						<xs:element name="Payload" type="xs:base64Binary"/>
						<xs:element name="Signature" type="xs:base64Binary"/>
					</xs:sequence>
				</xs:complexType>
			</xs:element>
			<xs:element name="SendRequestResponse">
				<xs:complexType>
					<xs:sequence>
						<xs:element name="QueueId" type="xs:string"/>
					</xs:sequence>
				</xs:complexType>
			</xs:element>
			<xs:element name="GetResult">
				<xs:complexType>
					<xs:sequence>
						<xs:element name="QueueId" type="xs:string"/>
					</xs:sequence>
				</xs:complexType>
			</xs:element>
			<xs:element name="GetResultResponse">
				<xs:complexType>
					<xs:sequence>
						<xs:element name="State" type="tns:ResultState"/>
						<xs:element name="Result" type="xs:base64Binary" minOccurs="0"/>
						<xs:element name="Errors" type="tns:ErrorList" minOccurs="0"/>
					</xs:sequence>
				</xs:complexType>
			</xs:element>
			<xs:element name="SepFault" type="tns:Error"/>
		</xs:schema>
	</types>
	<message name="SendRequestRequestMessage"><part name="parameters" element="tns:SendRequest"/></message>
	<message name="SendRequestResponseMessage"><part name="parameters" element="tns:SendRequestResponse"/></message>
	<message name="GetResultRequestMessage"><part name="parameters" element="tns:GetResult"/></message>
	<message name="GetResultResponseMessage"><part name="parameters" element="tns:GetResultResponse"/></message>
	<message name="SepFaultMessage"><part name="detail" element="tns:SepFault"/></message>
	<portType name="SepPortType">
		<operation name="SendRequest">
			<input message="tns:SendRequestRequestMessage"/>
			<output message="tns:SendRequestResponseMessage"/>
			<fault name="SepFault" message="tns:SepFaultMessage"/>
		</operation>
		<operation name="GetResult">
			<input message="tns:GetResultRequestMessage"/>
			<output message="tns:GetResultResponseMessage"/>
			<fault name="SepFault" message="tns:SepFaultMessage"/>
		</operation>
	</portType>
	<binding name="SepSoapBinding" type="tns:SepPortType">
		<soap:binding style="document" transport="http://schemas.xmlsoap.org/soap/http"/>
		<operation name="SendRequest">
			<soap:operation soapAction="urn:sep-sim:v1#SendRequest" style="document"/>
			<input><soap:body use="literal"/></input>
			<output><soap:body use="literal"/></output>
			<fault name="SepFault"><soap:fault name="SepFault" use="literal"/></fault>
		</operation>
		<operation name="GetResult">
			<soap:operation soapAction="urn:sep-sim:v1#GetResult" style="document"/>
			<input><soap:body use="literal"/></input>
			<output><soap:body use="literal"/></output>
			<fault name="SepFault"><soap:fault name="SepFault" use="literal"/></fault>
		</operation>
	</binding>
	<service name="Sep">
		<port name="SepSoap" binding="tns:SepSoapBinding">
			<soap:address location="{{LOCATION}}"/>
		</port>
	</service>
</definitions>
`

// WSDL returns the service contract with the given endpoint as its address.
func WSDL(location string) string {
	return strings.Replace(wsdl, "{{LOCATION}}", xmlAttrEscape(location), 1)
}

func xmlAttrEscape(s string) string {
	r := strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;")
	return r.Replace(s)
}
