package hub

import (
	"github.com/stykovka/stykovka/facade/odata"
	"github.com/stykovka/stykovka/facade/odata/catalogs"
	"github.com/stykovka/stykovka/internal/legal"
)

func legalEntitiesSet(l *legal.Service) *odata.EntitySet { return catalogs.LegalEntities(l) }
