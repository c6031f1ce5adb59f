package odata_test

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestONEC14_MetadataIndependentClient has Microsoft's datajs (npm, pinned in infra) read the
// running service's $metadata and an Atom feed: a client none of us wrote.
func TestONEC14_MetadataIndependentClient(t *testing.T) {
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
	e := newEnv(t, nil)
	ref := e.createLegal("hotel-a", "000000001", "ООО «Ромашка»", "7707083893")

	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, filepath.Join("testdata", "datajs_client.js"), e.srv.URL+base, "Catalog_LegalEntities")
	cmd.Env = append(os.Environ(), "NODE_PATH="+modules, "ODATA_USER=Администратор", "ODATA_PASSWORD="+users["Администратор"][0])
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("datajs client: %v\n%s", err, stderr.String())
	}
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
