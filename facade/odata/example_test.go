package odata_test

import (
	"context"

	"github.com/stykovka/stykovka/facade/odata"
)

// statusStore stands for a domain's store layout of a periodic register: one partition per
// asset, sorted by period.
type statusStore struct{}

// Records answers one store query: the asset's partition between two periods when
// q.Dims[0] is set, else a walk of every record.
func (statusStore) Records(ctx context.Context, tenant string, q odata.RecordsQuery) (odata.ListPage, error) {
	return odata.ListPage{}, nil
}

// A periodic information register published with SliceLast and SliceFirst: a client calls
//
//	InformationRegister_AssetStatuses/SliceLast(Period=datetime'…',Condition='Asset_Key eq guid''…''')
//
// and gets each asset's status at that moment, one store query per asset named.
func ExampleNewPeriodicRegister() {
	reg := odata.NewPeriodicRegister(statusStore{}, "Asset_Key")
	set := &odata.EntitySet{
		Name: "InformationRegister_AssetStatuses",
		Kind: odata.InformationRegister,
		Key:  []string{"Period", "Asset_Key"},
		Properties: []odata.Property{
			{Name: "Period", Type: odata.EdmDateTime},
			{Name: "Asset_Key", Type: odata.EdmGuid},
			{Name: "Status", Type: odata.EdmString},
		},
		Indexes:       reg.Indexes(),
		Dimensions:    []string{"Asset_Key"},
		VirtualTables: []odata.VirtualTable{odata.VirtualSliceLast, odata.VirtualSliceFirst},
		Source:        reg,
	}
	_ = odata.Validate(set)
}
