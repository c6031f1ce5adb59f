package odata_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// runDatajs runs testdata/datajs_client.js against e as a Cyrillic-named user: it reads
// $metadata, the Atom feed of set and, when call is not "", the Atom feed at that path.
func runDatajs(t *testing.T, e *env, set, call string) []byte {
	t.Helper()
	node, err := exec.LookPath("node")
	if err != nil {
		t.Fatal("node is required for the independent OData client check: ", err)
	}
	modules, err := filepath.Abs(filepath.Join("..", "..", "infra", "node_modules"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(modules, "datajs")); err != nil {
		t.Fatal("datajs is not installed: run npm ci in infra: ", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	args := []string{filepath.Join("testdata", "datajs_client.js"), e.srv.URL + base, set}
	if call != "" {
		args = append(args, call)
	}
	cmd := exec.CommandContext(ctx, node, args...)
	cmd.Env = append(os.Environ(), "NODE_PATH="+modules, "ODATA_USER=Администратор", "ODATA_PASSWORD="+users["Администратор"][0])
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("datajs client: %v\n%s", err, stderr.String())
	}
	return out
}

// TestONEC14_MetadataIndependentClient has Microsoft's datajs (npm, pinned in infra) read the
// running service's $metadata and an Atom feed: a client none of us wrote.
func TestONEC14_MetadataIndependentClient(t *testing.T) {
	e := newEnv(t, nil)
	ref := e.createLegal("hotel-a", "000000001", "ООО «Ромашка»", "7707083893")
	out := runDatajs(t, e, "Catalog_LegalEntities", "")
	var got struct {
		Version            string `json:"version"`
		DataServiceVersion string `json:"dataServiceVersion"`
		Namespace          string `json:"namespace"`
		EntityTypes        []struct {
			Name       string   `json:"name"`
			OpenType   string   `json:"openType"`
			Key        []string `json:"key"`
			Properties []string `json:"properties"`
			Navigation []string `json:"navigation"`
		} `json:"entityTypes"`
		ComplexTypes []string `json:"complexTypes"`
		Associations []string `json:"associations"`
		Containers   []struct {
			Name      string   `json:"name"`
			IsDefault string   `json:"isDefault"`
			Sets      []string `json:"sets"`
			Functions []string `json:"functions"`
		} `json:"containers"`
		Feed []struct {
			Type        string `json:"type"`
			URI         string `json:"uri"`
			RefKey      string `json:"Ref_Key"`
			Description string `json:"Description"`
		} `json:"feed"`
	}
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	if got.Version != "1.0" || got.DataServiceVersion != "3.0" || got.Namespace != "StandardODATA" {
		t.Fatalf("header: %s", out)
	}
	types := map[string]string{}
	for _, et := range got.EntityTypes {
		if et.OpenType != "true" {
			t.Errorf("%s not open", et.Name)
		}
		types[et.Name] = strings.Join(et.Key, ",") + " | " + strings.Join(et.Properties, " ") + " | " + strings.Join(et.Navigation, " ")
	}
	want := map[string]string{
		"Catalog_LegalEntities":             "Ref_Key | Ref_Key:Edm.Guid DataVersion:Edm.String DeletionMark:Edm.Boolean Code:Edm.String Description:Edm.String Predefined:Edm.Boolean PredefinedDataName:Edm.String INN:Edm.String KPP:Edm.String EmisEnabled:Edm.Boolean NamesScript:Edm.String EmisWebLoginSet:Edm.Boolean EmisWebPasswordSet:Edm.Boolean EmisIntegrationLoginSet:Edm.Boolean EmisIntegrationPasswordSet:Edm.Boolean | ",
		"Document_GuestInvoice":             "Ref_Key | Ref_Key:Edm.Guid DataVersion:Edm.String DeletionMark:Edm.Boolean Number:Edm.String Date:Edm.DateTime Posted:Edm.Boolean Organization_Key:Edm.Guid Comment:Edm.String Items:Collection(StandardODATA.Document_GuestInvoice_Items_RowType) | Organization:StandardODATA.Document_GuestInvoice_Organization",
		"Document_GuestInvoice_Items":       "Ref_Key,LineNumber | Ref_Key:Edm.Guid LineNumber:Edm.Int64 Description:Edm.String Quantity:Edm.Int32 Price:Edm.Decimal | ",
		"InformationRegister_ExchangeRates": "Period,Currency | Period:Edm.DateTime Currency:Edm.String Rate:Edm.Decimal | ",
	}
	for name, w := range want {
		if types[name] != w {
			t.Errorf("%s:\n got %s\nwant %s", name, types[name], w)
		}
	}
	if len(got.Containers) != 1 || got.Containers[0].Name != "EnterpriseV8" || got.Containers[0].IsDefault != "true" ||
		strings.Join(got.Containers[0].Sets, " ") != "Catalog_LegalEntities:StandardODATA.Catalog_LegalEntities Document_GuestInvoice:StandardODATA.Document_GuestInvoice Document_GuestInvoice_Items:StandardODATA.Document_GuestInvoice_Items InformationRegister_ExchangeRates:StandardODATA.InformationRegister_ExchangeRates" ||
		strings.Join(got.Containers[0].Functions, " ") != "Post Unpost" {
		t.Errorf("container: %+v", got.Containers)
	}
	if strings.Join(got.ComplexTypes, " ") != "Document_GuestInvoice_Items_RowType" || strings.Join(got.Associations, " ") != "Document_GuestInvoice_Organization" {
		t.Errorf("complex types %v, associations %v", got.ComplexTypes, got.Associations)
	}
	if len(got.Feed) != 1 || got.Feed[0].RefKey != ref || got.Feed[0].Description != "ООО «Ромашка»" ||
		got.Feed[0].Type != "StandardODATA.Catalog_LegalEntities" || got.Feed[0].URI != e.srv.URL+base+"Catalog_LegalEntities(guid'"+ref+"')" {
		t.Errorf("feed: %+v", got.Feed)
	}
}

// TestONEC15_VirtualTablesIndependentClient has datajs read the virtual tables' function
// imports and result types from $metadata, and a SliceLast answer as an Atom feed of the
// register's entries.
func TestONEC15_VirtualTablesIndependentClient(t *testing.T) {
	e := vtEnv(t, nil)
	e.seedStatuses()
	out := runDatajs(t, e, assetStatuses,
		assetStatuses+"/SliceLast(Period=datetime'2025-03-01T00:00:00',Condition='Asset_Key eq guid''"+assetA+"'' or Asset_Key eq guid''"+assetB+"''')")
	var got struct {
		ComplexTypeProperties map[string][]string `json:"complexTypeProperties"`
		Containers            []struct {
			FunctionImports []struct {
				Name       string            `json:"name"`
				ReturnType string            `json:"returnType"`
				EntitySet  string            `json:"entitySet"`
				Parameters []string          `json:"parameters"`
				Attributes map[string]string `json:"attributes"`
			} `json:"functionImports"`
		} `json:"containers"`
		Feed []map[string]any `json:"feed"`
		Call []map[string]any `json:"call"`
	}
	if err := json.Unmarshal(out, &got); err != nil || len(got.Containers) != 1 {
		t.Fatalf("%v: %s", err, out)
	}
	var fns []string
	for _, f := range got.Containers[0].FunctionImports {
		fns = append(fns, f.Name+" "+f.ReturnType+" ["+f.EntitySet+"] "+strings.Join(f.Parameters, ",")+
			" bindable="+f.Attributes["IsBindable"]+" sideEffecting="+f.Attributes["IsSideEffecting"])
	}
	ns := "StandardODATA."
	for _, want := range []string{
		"SliceLast Collection(" + ns + assetStatuses + ") [] bindingParameter:" + ns + assetStatuses + ",Condition:Edm.String,Period:Edm.DateTime bindable=true sideEffecting=false",
		"SliceFirst Collection(" + ns + assetStatuses + ") [] bindingParameter:" + ns + assetStatuses + ",Condition:Edm.String,Period:Edm.DateTime bindable=true sideEffecting=false",
		"Balance Collection(" + ns + guestPoints + "_Balance) [] bindingParameter:" + ns + guestPoints + ",Condition:Edm.String,Dimensions:Edm.String,Period:Edm.DateTime bindable=true sideEffecting=false",
		"Turnovers Collection(" + ns + guestPoints + "_Turnover) [] bindingParameter:" + ns + guestPoints + ",Condition:Edm.String,Dimensions:Edm.String,EndPeriod:Edm.DateTime,StartPeriod:Edm.DateTime bindable=true sideEffecting=false",
	} {
		if !strings.Contains(strings.Join(fns, "\n"), want) {
			t.Errorf("datajs did not read %s\nfrom\n%s", want, strings.Join(fns, "\n"))
		}
	}
	if b := strings.Join(got.ComplexTypeProperties[guestPoints+"_Balance"], " "); b != "Guest_Key:Edm.Guid Hotel:Edm.String PointsBalance:Edm.Decimal" {
		t.Errorf("balance type: %q", b)
	}
	if len(got.Feed) != 6 {
		t.Errorf("register feed: %v", got.Feed)
	}
	// The slice, read as an Atom feed of typed entries.
	var rows []string
	for _, r := range got.Call {
		rows = append(rows, fmt.Sprint(r["type"], " ", r["uri"], " ", r["Asset_Key"], " ", r["Period"], " ", r["Status"], " ", r["Application"]))
	}
	root := e.srv.URL + base
	want := []string{
		ns + assetStatuses + " " + root + assetStatuses + "(Period=datetime'2025-03-01T00:00:00',Asset_Key=guid'" + assetA + "') " + assetA + " 2025-03-01T00:00:00.000Z В лизинге Z-2",
		ns + assetStatuses + " " + root + assetStatuses + "(Period=datetime'2025-02-01T00:00:00',Asset_Key=guid'" + assetB + "') " + assetB + " 2025-02-01T00:00:00.000Z В лизинге Z-4",
	}
	if strings.Join(rows, "\n") != strings.Join(want, "\n") {
		t.Errorf("slice read by datajs:\n%s\nwant\n%s", strings.Join(rows, "\n"), strings.Join(want, "\n"))
	}
}
