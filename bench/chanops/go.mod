module chanops

go 1.25
