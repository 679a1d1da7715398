module github.com/nvmf-chaos/nvmf-chaos

go 1.26.8
